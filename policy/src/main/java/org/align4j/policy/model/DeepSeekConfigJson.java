package org.align4j.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The DeepSeek-V2/V3 keys of a Hugging Face {@code config.json}. Defaults are those of transformers'
 * DeepseekV2Config / DeepseekV3Config where a key is absent (V3: sigmoid scores with the correction bias,
 * normalised top-k weights, interleaved RoPE; V2: softmax scores, greedy top-k, no renormalisation, and always
 * interleaved RoPE, which transformers applies as a complex rotation of adjacent pairs).
 */
final class DeepSeekConfigJson {
    private DeepSeekConfigJson() {
    }

    static ModelConfig read(JsonNode n, String architecture) {
        boolean v3 = architecture.equals(ModelConfig.DEEPSEEK_V3);
        int hidden = ModelConfig.req(n, "hidden_size");
        int heads = ModelConfig.req(n, "num_attention_heads");
        int maxPositions = n.path("max_position_embeddings").asInt(2048);
        // YaRN (what the released DeepSeek-V2/V3 use) also scales the softmax: see RopeScaling.softmaxScaleFactor
        RopeConfigJson.Settings rope = RopeConfigJson.read(n, maxPositions);
        if (!n.path("hidden_act").asText("silu").equals("silu")) {
            throw new IllegalArgumentException("unsupported hidden_act '" + n.get("hidden_act").asText() + "'");
        }
        if (n.path("mlp_bias").asBoolean(false)) {
            throw new IllegalArgumentException("unsupported mlp_bias: true");
        }
        int ropeDim = ModelConfig.req(n, "qk_rope_head_dim");
        MlaConfig mla = new MlaConfig(n.path("q_lora_rank").asInt(0), ModelConfig.req(n, "kv_lora_rank"),
                ModelConfig.req(n, "qk_nope_head_dim"), ropeDim, ModelConfig.req(n, "v_head_dim"),
                !v3 || n.path("rope_interleave").asBoolean(true), n.path("attention_bias").asBoolean(false));
        MoeConfig moe = null;
        if (n.hasNonNull("n_routed_experts")) {
            moe = new MoeConfig(n.path("first_k_dense_replace").asInt(0), n.path("moe_layer_freq").asInt(1),
                    n.get("n_routed_experts").asInt(), ModelConfig.req(n, "num_experts_per_tok"),
                    ModelConfig.req(n, "moe_intermediate_size"), n.path("n_shared_experts").asInt(0),
                    n.path("scoring_func").asText(v3 ? MoeConfig.SIGMOID : MoeConfig.SOFTMAX),
                    n.path("topk_method").asText(v3 ? MoeConfig.NOAUX_TC : MoeConfig.GREEDY),
                    n.path("n_group").asInt(1), n.path("topk_group").asInt(1),
                    n.path("norm_topk_prob").asBoolean(v3), n.path("routed_scaling_factor").asDouble(1.0));
            if (v3 && !(moe.scoringFunc().equals(MoeConfig.SIGMOID) && moe.hasCorrectionBias())) {
                throw new IllegalArgumentException(architecture + " routes with sigmoid scores and noaux_tc, got "
                        + moe.scoringFunc() + " and " + moe.topkMethod());
            }
        }
        Integer bos = n.hasNonNull("bos_token_id") ? n.get("bos_token_id").asInt() : null;
        return new ModelConfig(architecture, ModelConfig.req(n, "vocab_size"), hidden,
                ModelConfig.req(n, "intermediate_size"), ModelConfig.req(n, "num_hidden_layers"), heads, heads,
                ropeDim, maxPositions, n.path("rms_norm_eps").asDouble(1e-6), rope.theta(),
                n.path("tie_word_embeddings").asBoolean(false), false, bos, ModelConfig.eosTokenIds(n), mla, moe,
                n.path("num_nextn_predict_layers").asInt(0), rope.scaling());
    }

    static ObjectNode write(ModelConfig c) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        boolean v3 = c.architecture.equals(ModelConfig.DEEPSEEK_V3);
        MlaConfig a = c.mla;
        n.putArray("architectures").add(c.architecture);
        n.put("model_type", v3 ? "deepseek_v3" : "deepseek_v2");
        n.put("vocab_size", c.vocabSize);
        n.put("hidden_size", c.hiddenSize);
        n.put("intermediate_size", c.intermediateSize);
        n.put("num_hidden_layers", c.numLayers);
        n.put("num_attention_heads", c.numHeads);
        n.put("num_key_value_heads", c.numKvHeads);
        n.put("max_position_embeddings", c.maxPositions);
        n.put("rms_norm_eps", c.rmsNormEps);
        n.put("rope_theta", c.ropeTheta);
        n.set("rope_parameters", RopeConfigJson.write(c.ropeTheta, c.ropeScaling));
        n.put("tie_word_embeddings", c.tieWordEmbeddings);
        n.put("hidden_act", "silu");
        if (a.qLoraRank() > 0) {
            n.put("q_lora_rank", a.qLoraRank());
        } else {
            n.putNull("q_lora_rank");
        }
        n.put("kv_lora_rank", a.kvLoraRank());
        n.put("qk_nope_head_dim", a.qkNopeHeadDim());
        n.put("qk_rope_head_dim", a.qkRopeHeadDim());
        n.put("qk_head_dim", a.qkHeadDim());
        n.put("head_dim", a.qkRopeHeadDim());
        n.put("v_head_dim", a.vHeadDim());
        if (v3) {
            n.put("rope_interleave", a.ropeInterleave());
        }
        n.put("attention_bias", a.attentionBias());
        MoeConfig m = c.moe;
        if (m != null) {
            n.put("first_k_dense_replace", m.firstKDenseReplace());
            n.put("moe_layer_freq", m.moeLayerFreq());
            n.put("n_routed_experts", m.nRoutedExperts());
            n.put("num_experts_per_tok", m.numExpertsPerTok());
            n.put("moe_intermediate_size", m.moeIntermediateSize());
            n.put("n_shared_experts", m.nSharedExperts());
            n.put("scoring_func", m.scoringFunc());
            n.put("topk_method", m.topkMethod());
            n.put("n_group", m.nGroup());
            n.put("topk_group", m.topkGroup());
            n.put("norm_topk_prob", m.normTopkProb());
            n.put("routed_scaling_factor", m.routedScalingFactor());
        } else {
            n.putNull("n_routed_experts");
        }
        if (v3) {
            n.put("num_nextn_predict_layers", c.nextnPredictLayers);
        }
        c.putSpecialTokens(n);
        n.put("torch_dtype", "float32");
        return n;
    }
}
