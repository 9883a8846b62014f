package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** DeepSeek-V2/V3 configs and checkpoints: defaults, round trips, MTP tensors, refusals. */
class DeepSeekCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** DeepSeek-V2-Lite's layout in miniature: no query bottleneck, softmax greedy routing, no renormalisation. */
    static ObjectNode v2LiteJson() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 40, "hidden_size": 16,
                 "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
                 "q_lora_rank": null, "kv_lora_rank": 8, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
                 "v_head_dim": 8, "first_k_dense_replace": 1, "moe_layer_freq": 1, "n_routed_experts": 4,
                 "num_experts_per_tok": 2, "moe_intermediate_size": 6, "n_shared_experts": 2,
                 "topk_method": "greedy", "n_group": null, "topk_group": null, "routed_scaling_factor": 1.0,
                 "aux_loss_alpha": 0.001, "rope_theta": 10000, "max_position_embeddings": 64,
                 "bos_token_id": 0, "eos_token_id": 1, "tie_word_embeddings": false}""");
    }

    @Test
    void deepSeekV2LiteConfigDefaultsAndRoundTrip(@TempDir Path dir) throws Exception {
        ModelConfig c = ModelConfig.fromJson(v2LiteJson());
        assertEquals(0, c.mla.qLoraRank());
        assertTrue(c.mla.ropeInterleave(), "V2 rotates adjacent pairs");
        assertEquals(MoeConfig.SOFTMAX, c.moe.scoringFunc());
        assertFalse(c.moe.normTopkProb());
        assertFalse(c.moe.hasCorrectionBias());
        assertFalse(c.moe.isMoeLayer(0));
        assertTrue(c.moe.isMoeLayer(1));
        CausalLM m = CausalLM.initialize(c, DataType.FLOAT, 4);
        assertEquals(c.parameterCount(), m.parameterCount());
        assertTrue(m.weights().containsKey("model.layers.0.self_attn.q_proj.weight"));
        assertTrue(m.weights().containsKey("model.layers.1.mlp.shared_experts.down_proj.weight"));
        HfCheckpoint.save(m, dir.resolve("v2"), null);
        CausalLM back = HfCheckpoint.load(dir.resolve("v2"));
        assertEquals(m.config().toJson(), back.config().toJson());
        TokenBatch b = TokenBatch.of(new int[] {3, 9, 27, 5}, new int[] {8, 1});
        double[][] want = m.forward(b).tokenLogProbs();
        double[][] got = back.forward(b).tokenLogProbs();
        for (int r = 0; r < want.length; r++) {
            for (int t = 0; t < want[r].length; t++) {
                assertEquals(want[r][t], got[r][t], 0.0);
            }
        }
    }

    @Test
    void multiTokenPredictionLayersAreIgnoredOnLoad() {
        Path fixture = HfConformanceTest.fixture("model_deepseek_v3");
        CausalLM m = HfCheckpoint.load(fixture);
        assertEquals(1, m.config().nextnPredictLayers);
        assertEquals(240720, m.parameterCount(), "e_score_correction_bias is a buffer, as in transformers");
        Map<String, INDArray> w = new LinkedHashMap<>(m.weights());
        // the released V3 stores its MTP module as layer num_hidden_layers (61 there, 3 here)
        w.put("model.layers.3.eh_proj.weight", Nd4j.zeros(DataType.FLOAT, 64, 128));
        w.put("model.layers.3.mlp.experts.0.up_proj.weight", Nd4j.zeros(DataType.FLOAT, 32, 64));
        CausalLM withMtp = CausalLM.fromWeights(m.config(), w, DataType.FLOAT);
        assertFalse(withMtp.weights().containsKey("model.layers.3.eh_proj.weight"));
        w.put("model.layers.4.eh_proj.weight", Nd4j.zeros(DataType.FLOAT, 64, 128));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CausalLM.fromWeights(m.config(), w, DataType.FLOAT));
        assertTrue(e.getMessage().contains("model.layers.4.eh_proj.weight"), e.getMessage());
    }

    @Test
    void correctionBiasIsSavedButNotTrained() {
        CausalLM m = HfCheckpoint.load(HfConformanceTest.fixture("model_deepseek_v3"));
        String name = "model.layers.1.mlp.gate.e_score_correction_bias";
        assertTrue(m.weights().containsKey(name));
        assertTrue(m.parameters().stream().noneMatch(p -> p.name().equals(name)));
        CausalLM copy = m.copy();
        assertEquals(m.weights().get(name), copy.weights().get(name));
    }

    @Test
    void unsupportedSettingsAreRefused(@TempDir Path dir) throws Exception {
        ObjectNode longrope = v2LiteJson();
        longrope.putObject("rope_scaling").put("type", "longrope").put("factor", 40);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.fromJson(longrope));
        assertTrue(e.getMessage().contains("rope_scaling.type 'longrope'"), e.getMessage());
        ObjectNode method = v2LiteJson();
        method.put("topk_method", "random");
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(method));
        assertTrue(e.getMessage().contains("topk_method"), e.getMessage());
        ObjectNode v3 = (ObjectNode) JSON.readTree(HfConformanceTest.fixture("model_deepseek_v3")
                .resolve("config.json").toFile());
        v3.put("scoring_func", "softmax");
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(v3));
        assertTrue(e.getMessage().contains("sigmoid"), e.getMessage());
        Path d = dir.resolve("m");
        Files.createDirectories(d);
        Files.writeString(d.resolve("config.json"), "{\"architectures\": [\"DeepseekV3ForCausalLM\"], "
                + "\"hidden_size\": 8, \"vocab_size\": 4, \"intermediate_size\": 8, \"num_hidden_layers\": 1, "
                + "\"num_attention_heads\": 2}");
        e = assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.load(d));
        assertTrue(e.getMessage().contains("qk_rope_head_dim"), e.getMessage());
    }

    @Test
    void denseDeepSeekHasNoExpertLoad() throws Exception {
        ObjectNode n = v2LiteJson();
        n.putNull("n_routed_experts");
        ModelConfig c = ModelConfig.fromJson(n);
        assertNull(c.moe);
        CausalLM m = CausalLM.initialize(c, DataType.FLOAT, 1);
        assertEquals(0, m.expertLoad().length);
        assertEquals(c.parameterCount(), m.parameterCount());
    }
}
