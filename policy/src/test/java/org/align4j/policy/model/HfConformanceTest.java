package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Logits, log-probs and greedy output agree with what Hugging Face transformers computed (expected.json). */
class HfConformanceTest {

    static Path fixture(String name) {
        try {
            return Paths.get(HfConformanceTest.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    }

    static int[][] ids(JsonNode n) {
        int[][] out = new int[n.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new int[n.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = n.get(i).get(j).asInt();
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2", "model_deepseek_v3"})
    void logitsAndLogProbsMatchTransformers(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode exp = expected(dir);
        CausalLM m = HfCheckpoint.load(dir);
        assertEquals(exp.get("param_count").asLong(), m.parameterCount());
        int[][] input = ids(exp.get("input_ids"));
        Forward f = m.forward(TokenBatch.of(input));
        INDArray logits = f.logits();
        double maxErr = 0;
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < input[b].length; t++) {
                JsonNode row = exp.get("logits").get(b).get(t);
                INDArray got = logits.getRow(f.rowIndex(b, t));
                for (int v = 0; v < row.size(); v++) {
                    maxErr = Math.max(maxErr, Math.abs(row.get(v).asDouble() - got.getDouble(v)));
                }
            }
        }
        assertTrue(maxErr < 1e-4, "max |logit - transformers| = " + maxErr);
        double[][] lp = f.tokenLogProbs();
        double lpErr = 0;
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < lp[b].length; t++) {
                lpErr = Math.max(lpErr, Math.abs(exp.get("token_logprobs").get(b).get(t).asDouble() - lp[b][t]));
            }
        }
        assertTrue(lpErr < 1e-4, "max |log-prob - transformers| = " + lpErr);
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2", "model_deepseek_v3"})
    void greedyGenerationMatchesTransformers(String name) throws IOException {
        Path dir = fixture(name);
        JsonNode exp = expected(dir);
        CausalLM m = HfCheckpoint.load(dir);
        int[] prompt = ids(exp.get("greedy_prompt"))[0];
        int[] want = ids(exp.get("greedy_output"))[0];
        assertArrayEquals(want, Greedy.generate(m, prompt, want.length - prompt.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2", "model_deepseek_v3"})
    void saveThenLoadGivesTheSameModel(String name, @TempDir Path tmp) throws IOException {
        CausalLM m = HfCheckpoint.load(fixture(name));
        Path out = tmp.resolve("copy");
        HfCheckpoint.save(m, out, null);
        CausalLM back = HfCheckpoint.load(out);
        for (Parameter p : m.parameters()) {
            assertEquals(p.value(), back.parameter(p.name()).value(), p.name());
        }
        // buffers (DeepSeek-V3's e_score_correction_bias) are saved too
        assertEquals(m.weights().keySet(), back.weights().keySet());
        m.weights().forEach((k, v) -> assertEquals(v, back.weights().get(k), k));
        assertEquals(m.config().toJson(), back.config().toJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama"})
    void missingOrMisshapedTensorsAreNamed(String name, @TempDir Path tmp) throws IOException {
        CausalLM m = HfCheckpoint.load(fixture(name));
        var w = new java.util.LinkedHashMap<>(m.weights());
        w.remove("model.layers.1.mlp.up_proj.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CausalLM.fromWeights(m.config(), w, DataType.FLOAT));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());
        w.put("model.layers.1.mlp.up_proj.weight", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 3, 3));
        e = assertThrows(IllegalArgumentException.class, () -> CausalLM.fromWeights(m.config(), w, DataType.FLOAT));
        assertTrue(e.getMessage().contains("shape [3, 3]"), e.getMessage());
        Path cfg = tmp.resolve("m");
        Files.createDirectories(cfg);
        Files.writeString(cfg.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"], \"hidden_size\": 8}");
        e = assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.load(cfg));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());
    }
}
