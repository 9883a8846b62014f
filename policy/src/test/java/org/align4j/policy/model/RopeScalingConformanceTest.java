package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import org.align4j.policy.io.ShardedSafeTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Logits, log-probs and greedy continuations of tiny checkpoints with scaled RoPE agree with transformers 5.17
 * (hf/rope/*, made by bench/gpu/make_fixtures.py), read from both config forms: transformers 5's
 * rope_parameters (config.json) and the older rope_scaling with type (config_rope_scaling.json). The sequences
 * are long enough that unscaled RoPE lands far off (expected.json's max_abs_diff_vs_unscaled).
 */
class RopeScalingConformanceTest {

    private static CausalLM load(String name, String configFile) {
        Path dir = HfConformanceTest.fixture("rope/" + name);
        ModelConfig c = ModelConfig.read(dir.resolve(configFile));
        return CausalLM.fromWeights(c, ShardedSafeTensors.read(dir, DataType.FLOAT), DataType.FLOAT);
    }

    @ParameterizedTest
    @CsvSource({"llama3,config.json", "llama3,config_rope_scaling.json", "linear,config.json",
            "linear,config_rope_scaling.json", "dynamic,config.json", "dynamic,config_rope_scaling.json",
            "deepseek_v3_yarn,config.json", "deepseek_v3_yarn,config_rope_scaling.json",
            "deepseek_v2_yarn,config.json", "deepseek_v2_yarn,config_rope_scaling.json"})
    void logitsAndLogProbsMatchTransformers(String name, String configFile) throws IOException {
        JsonNode exp = HfConformanceTest.expected(HfConformanceTest.fixture("rope/" + name));
        CausalLM m = load(name, configFile);
        assertTrue(!m.config().ropeScaling.isDefault(), "scaling read from " + configFile);
        int[][] input = HfConformanceTest.ids(exp.get("input_ids"));
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
        double unscaled = exp.get("max_abs_diff_vs_unscaled").asDouble();
        assertTrue(maxErr < 1e-4 && maxErr < unscaled / 10,
                "max |logit - transformers| = " + maxErr + " (unscaled RoPE: " + unscaled + ")");
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
    @ValueSource(strings = {"llama3", "linear", "deepseek_v3_yarn", "deepseek_v2_yarn"})
    void greedyGenerationMatchesTransformers(String name) throws IOException {
        JsonNode exp = HfConformanceTest.expected(HfConformanceTest.fixture("rope/" + name));
        CausalLM m = load(name, "config.json");
        int[] prompt = HfConformanceTest.ids(exp.get("greedy_prompt"))[0];
        int[] fresh = HfConformanceTest.ids(exp.get("greedy_output"))[0]; // the new tokens only
        int[] got = Greedy.generate(m, prompt, fresh.length);
        assertArrayEquals(fresh, java.util.Arrays.copyOfRange(got, prompt.length, got.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "dynamic", "deepseek_v3_yarn"})
    void bothConfigFormsReadTheSameAndWriteBackAsRopeParameters(String name) {
        Path dir = HfConformanceTest.fixture("rope/" + name);
        ModelConfig a = ModelConfig.read(dir.resolve("config.json"));
        ModelConfig b = ModelConfig.read(dir.resolve("config_rope_scaling.json"));
        assertEquals(a.toJson(), b.toJson());
        ModelConfig back = ModelConfig.fromJson(a.toJson());
        assertEquals(a.toJson(), back.toJson());
        assertEquals(a.ropeScaling.type, back.ropeScaling.type);
    }
}
