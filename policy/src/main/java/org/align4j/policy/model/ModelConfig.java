package org.align4j.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The architecture of a Llama-, Qwen2- or DeepSeek-V2/V3-family decoder, read from and written to a Hugging Face
 * {@code config.json}. Field names follow that file. DeepSeek models add {@link #mla} (multi-head latent
 * attention) and usually {@link #moe} (DeepSeekMoE feed-forward layers).
 */
public final class ModelConfig {
    public static final String LLAMA = "LlamaForCausalLM";
    public static final String QWEN2 = "Qwen2ForCausalLM";
    public static final String DEEPSEEK_V2 = "DeepseekV2ForCausalLM";
    public static final String DEEPSEEK_V3 = "DeepseekV3ForCausalLM";
    private static final List<String> SUPPORTED = List.of(LLAMA, QWEN2, DEEPSEEK_V2, DEEPSEEK_V3);

    public final String architecture;
    public final int vocabSize;
    public final int hiddenSize;
    public final int intermediateSize;
    public final int numLayers;
    public final int numHeads;
    public final int numKvHeads;
    public final int headDim;
    public final int maxPositions;
    public final double rmsNormEps;
    public final double ropeTheta;
    public final boolean tieWordEmbeddings;
    /** q/k/v projections carry a bias (always for Qwen2, {@code attention_bias} for Llama). */
    public final boolean qkvBias;
    public final Integer bosTokenId;
    public final int[] eosTokenIds;
    /** Multi-head latent attention (DeepSeek); null for multi-head/grouped-query attention. */
    public final MlaConfig mla;
    /** DeepSeekMoE layers; null when every layer has a dense SwiGLU. */
    public final MoeConfig moe;
    /**
     * DeepSeek-V3's multi-token-prediction modules ({@code num_nextn_predict_layers}), kept only so that a saved
     * config says what the original did: they are not part of the causal LM (see {@link CausalLM}).
     */
    public final int nextnPredictLayers;
    /** How rotary frequencies are scaled for long contexts ({@link RopeScaling#NONE} for plain RoPE). */
    public final RopeScaling ropeScaling;

    public ModelConfig(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                       int numHeads, int numKvHeads, int headDim, int maxPositions, double rmsNormEps,
                       double ropeTheta, boolean tieWordEmbeddings, boolean qkvBias, Integer bosTokenId,
                       int[] eosTokenIds) {
        this(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                maxPositions, rmsNormEps, ropeTheta, tieWordEmbeddings, qkvBias, bosTokenId, eosTokenIds, null, null, 0);
    }

    /**
     * The full constructor. For DeepSeek architectures mla is required, headDim is the RoPE head dim and
     * numKvHeads equals numHeads (as Hugging Face writes them).
     */
    public ModelConfig(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                       int numHeads, int numKvHeads, int headDim, int maxPositions, double rmsNormEps,
                       double ropeTheta, boolean tieWordEmbeddings, boolean qkvBias, Integer bosTokenId,
                       int[] eosTokenIds, MlaConfig mla, MoeConfig moe, int nextnPredictLayers) {
        this(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                maxPositions, rmsNormEps, ropeTheta, tieWordEmbeddings, qkvBias, bosTokenId, eosTokenIds, mla, moe,
                nextnPredictLayers, RopeScaling.NONE);
    }

    /** The full constructor with a rope scaling. */
    public ModelConfig(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                       int numHeads, int numKvHeads, int headDim, int maxPositions, double rmsNormEps,
                       double ropeTheta, boolean tieWordEmbeddings, boolean qkvBias, Integer bosTokenId,
                       int[] eosTokenIds, MlaConfig mla, MoeConfig moe, int nextnPredictLayers,
                       RopeScaling ropeScaling) {
        this.ropeScaling = ropeScaling == null ? RopeScaling.NONE : ropeScaling;
        this.mla = mla;
        this.moe = moe;
        this.nextnPredictLayers = nextnPredictLayers;
        this.architecture = architecture;
        this.vocabSize = vocabSize;
        this.hiddenSize = hiddenSize;
        this.intermediateSize = intermediateSize;
        this.numLayers = numLayers;
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headDim = headDim;
        this.maxPositions = maxPositions;
        this.rmsNormEps = rmsNormEps;
        this.ropeTheta = ropeTheta;
        this.tieWordEmbeddings = tieWordEmbeddings;
        this.qkvBias = qkvBias;
        this.bosTokenId = bosTokenId;
        this.eosTokenIds = eosTokenIds == null ? new int[0] : eosTokenIds.clone();
        validate();
    }

    /** A small Llama-family config for new models (tied embeddings, head dim = hidden / heads). */
    public static ModelConfig llama(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                                    int numKvHeads, int maxPositions, Integer bos, int[] eos) {
        return new ModelConfig(LLAMA, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                hiddenSize / numHeads, maxPositions, 1e-6, 10000.0, true, false, bos, eos);
    }

    private void validate() {
        if (!SUPPORTED.contains(architecture)) {
            throw new IllegalArgumentException("unsupported architecture '" + architecture + "' (supported: "
                    + String.join(", ", SUPPORTED) + ")");
        }
        require(vocabSize > 0, "vocab_size must be positive");
        require(hiddenSize > 0, "hidden_size must be positive");
        require(intermediateSize > 0, "intermediate_size must be positive");
        require(numLayers > 0, "num_hidden_layers must be positive");
        require(numHeads > 0, "num_attention_heads must be positive");
        require(numKvHeads > 0 && numHeads % numKvHeads == 0,
                "num_key_value_heads (" + numKvHeads + ") must divide num_attention_heads (" + numHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, got " + headDim);
        require(maxPositions > 0, "max_position_embeddings must be positive");
        require(isDeepSeek() == (mla != null), architecture + (isDeepSeek() ? " needs" : " cannot have")
                + " multi-head latent attention settings");
        require(mla == null || headDim == mla.qkRopeHeadDim(), "head_dim must equal qk_rope_head_dim for "
                + architecture);
        require(isDeepSeek() || moe == null, architecture + " cannot have MoE layers");
        require(nextnPredictLayers >= 0, "num_nextn_predict_layers must not be negative");
    }

    /** DeepSeek-V2 or V3 (multi-head latent attention, DeepSeekMoE). */
    public boolean isDeepSeek() {
        return architecture.equals(DEEPSEEK_V2) || architecture.equals(DEEPSEEK_V3);
    }

    private static void require(boolean ok, String msg) {
        if (!ok) {
            throw new IllegalArgumentException(msg);
        }
    }

    /**
     * The longest sequence a teacher-forced pass or KV cache accepts: max_position_embeddings, except under
     * {@code dynamic} rope scaling, which exists to run past it (transformers sets no limit there either).
     */
    public int contextLimit() {
        return ropeScaling.isDynamic() ? Integer.MAX_VALUE : maxPositions;
    }

    public int group() {
        return numHeads / numKvHeads;
    }

    public static ModelConfig read(Path file) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read config: " + e.getMessage(), e);
        }
        try {
            return fromJson(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** A config from the parsed content of a config.json. */
    public static ModelConfig fromJson(JsonNode n) {
        JsonNode arch = n.path("architectures");
        String architecture = arch.isArray() && arch.size() > 0 ? arch.get(0).asText() : n.path("model_type").asText("");
        if (architecture.isEmpty()) {
            throw new IllegalArgumentException("missing key 'architectures'");
        }
        if (!SUPPORTED.contains(architecture)) {
            throw new IllegalArgumentException("unsupported architecture '" + architecture + "' (supported: "
                    + String.join(", ", SUPPORTED) + ")");
        }
        if (architecture.equals(DEEPSEEK_V2) || architecture.equals(DEEPSEEK_V3)) {
            return DeepSeekConfigJson.read(n, architecture);
        }
        int hidden = req(n, "hidden_size");
        int heads = req(n, "num_attention_heads");
        int kvHeads = n.hasNonNull("num_key_value_heads") ? n.get("num_key_value_heads").asInt() : heads;
        int headDim = n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : hidden / heads;
        int maxPositions = n.path("max_position_embeddings").asInt(2048);
        RopeConfigJson.Settings rope = RopeConfigJson.read(n, maxPositions);
        if (n.path("hidden_act").asText("silu").equals("silu") == false) {
            throw new IllegalArgumentException("unsupported hidden_act '" + n.get("hidden_act").asText() + "'");
        }
        if (n.path("mlp_bias").asBoolean(false)) {
            throw new IllegalArgumentException("unsupported mlp_bias: true");
        }
        if (n.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException("unsupported use_sliding_window: true");
        }
        boolean bias = architecture.equals(QWEN2) || n.path("attention_bias").asBoolean(false);
        Integer bos = n.hasNonNull("bos_token_id") ? n.get("bos_token_id").asInt() : null;
        int[] eos = eosTokenIds(n);
        return new ModelConfig(architecture, req(n, "vocab_size"), hidden, req(n, "intermediate_size"),
                req(n, "num_hidden_layers"), heads, kvHeads, headDim,
                maxPositions, n.path("rms_norm_eps").asDouble(1e-6), rope.theta(),
                n.path("tie_word_embeddings").asBoolean(false), bias, bos, eos, null, null, 0, rope.scaling());
    }

    static int[] eosTokenIds(JsonNode n) {
        int[] eos = new int[0];
        JsonNode e = n.path("eos_token_id");
        if (e.isArray()) {
            eos = new int[e.size()];
            for (int i = 0; i < eos.length; i++) {
                eos[i] = e.get(i).asInt();
            }
        } else if (e.isNumber()) {
            eos = new int[] {e.asInt()};
        }
        return eos;
    }

    static int req(JsonNode n, String key) {
        if (!n.hasNonNull(key)) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return n.get(key).asInt();
    }

    public ObjectNode toJson() {
        if (isDeepSeek()) {
            return DeepSeekConfigJson.write(this);
        }
        ObjectMapper m = new ObjectMapper();
        ObjectNode n = m.createObjectNode();
        n.putArray("architectures").add(architecture);
        n.put("model_type", architecture.equals(QWEN2) ? "qwen2" : "llama");
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("num_key_value_heads", numKvHeads);
        n.put("head_dim", headDim);
        n.put("max_position_embeddings", maxPositions);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        n.set("rope_parameters", RopeConfigJson.write(ropeTheta, ropeScaling));
        n.put("tie_word_embeddings", tieWordEmbeddings);
        if (architecture.equals(LLAMA)) {
            n.put("attention_bias", qkvBias);
            n.put("mlp_bias", false);
        }
        n.put("hidden_act", "silu");
        if (bosTokenId != null) {
            n.put("bos_token_id", bosTokenId);
        } else {
            n.putNull("bos_token_id");
        }
        if (eosTokenIds.length == 1) {
            n.put("eos_token_id", eosTokenIds[0]);
        } else if (eosTokenIds.length > 1) {
            ArrayNode a = n.putArray("eos_token_id");
            Arrays.stream(eosTokenIds).forEach(a::add);
        } else {
            n.putNull("eos_token_id");
        }
        n.put("torch_dtype", "float32");
        return n;
    }

    /** Token ids written for bos/eos (shared by the DeepSeek writer). */
    void putSpecialTokens(ObjectNode n) {
        if (bosTokenId != null) {
            n.put("bos_token_id", bosTokenId);
        } else {
            n.putNull("bos_token_id");
        }
        if (eosTokenIds.length == 1) {
            n.put("eos_token_id", eosTokenIds[0]);
        } else if (eosTokenIds.length > 1) {
            ArrayNode a = n.putArray("eos_token_id");
            Arrays.stream(eosTokenIds).forEach(a::add);
        } else {
            n.putNull("eos_token_id");
        }
    }

    /** Trainable parameters of a DeepSeek model (e_score_correction_bias is a buffer, as in transformers). */
    private long deepSeekParameterCount() {
        return deepSeekParameters(false);
    }

    /**
     * Parameters one token's forward pass multiplies by: all of them for a dense model; for a mixture of experts
     * the routed experts a token is sent to (num_experts_per_tok of them), not all n_routed_experts (DeepSeek-V2-Lite:
     * 2.66B of 15.7B, of which 0.21B the embedding). The numerator of model FLOPs utilisation (6 x active parameters
     * per trained token).
     */
    public long activeParameterCount() {
        return isDeepSeek() ? deepSeekParameters(true) : parameterCount();
    }

    private long deepSeekParameters(boolean activeOnly) {
        long d = hiddenSize;
        long h = numHeads;
        MlaConfig a = mla;
        long bias = a.attentionBias() ? 1 : 0;
        long q = a.qLoraRank() > 0
                ? d * a.qLoraRank() + bias * a.qLoraRank() + a.qLoraRank() + (long) a.qLoraRank() * h * a.qkHeadDim()
                : d * h * a.qkHeadDim();
        long kv = (d + bias) * a.cachedDimsPerToken() + a.kvLoraRank()
                + (long) a.kvLoraRank() * h * (a.qkNopeHeadDim() + a.vHeadDim());
        long attn = q + kv + h * a.vHeadDim() * d + bias * d;
        long total = (long) vocabSize * d * (tieWordEmbeddings ? 1 : 2) + d;
        for (int l = 0; l < numLayers; l++) {
            long ffn;
            if (moe != null && moe.isMoeLayer(l)) {
                int experts = activeOnly ? moe.numExpertsPerTok() : moe.nRoutedExperts();
                ffn = 3L * d * moe.moeIntermediateSize() * (experts + moe.nSharedExperts())
                        + (long) moe.nRoutedExperts() * d;
            } else {
                ffn = 3L * d * intermediateSize;
            }
            total += attn + ffn + 2 * d;
        }
        return total;
    }

    /** Parameter count, for logs and benchmarks. */
    public long parameterCount() {
        if (isDeepSeek()) {
            return deepSeekParameterCount();
        }
        long d = hiddenSize;
        long attn = d * numHeads * headDim * 2L + d * numKvHeads * headDim * 2L
                + (qkvBias ? (long) (numHeads + 2 * numKvHeads) * headDim : 0);
        long mlp = 3L * d * intermediateSize;
        long perLayer = attn + mlp + 2 * d;
        long emb = (long) vocabSize * d * (tieWordEmbeddings ? 1 : 2);
        return numLayers * perLayer + emb + d;
    }
}
