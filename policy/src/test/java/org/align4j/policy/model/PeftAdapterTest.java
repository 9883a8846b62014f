package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Adapters that PEFT 0.21 saved for the tiny fixtures (hf/peft/, see its README.txt) give PEFT's logits here. */
class PeftAdapterTest {

    static Path peft(String name) {
        try {
            return Paths.get(PeftAdapterTest.class.getResource("/hf/peft/" + name + "/adapter_config.json").toURI())
                    .getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static double maxLogitError(Forward f, JsonNode want, int[][] input) {
        INDArray logits = f.logits();
        double maxErr = 0;
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < input[b].length; t++) {
                JsonNode row = want.get(b).get(t);
                INDArray got = logits.getRow(f.rowIndex(b, t));
                for (int v = 0; v < row.size(); v++) {
                    maxErr = Math.max(maxErr, Math.abs(row.get(v).asDouble() - got.getDouble(v)));
                }
            }
        }
        return maxErr;
    }

    @ParameterizedTest
    @CsvSource({"llama_all_linear,model_llama,28", "qwen2_all_linear,model_qwen2,28",
            "llama_rslora_subset,model_llama,12", "deepseek_v3_mla,model_deepseek_v3,30"})
    void peftAdapterGivesPeftLogitsAndMergesAsPeftDoes(String adapter, String base, int tensors) throws IOException {
        Path dir = peft(adapter);
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        CausalLM m = HfCheckpoint.load(HfConformanceTest.fixture(base));
        PeftAdapter.load(m, dir);
        assertEquals(tensors, m.parameters().size());
        assertEquals(exp.get("lora_parameter_names").size(), m.parameters().size());
        int[][] input = HfConformanceTest.ids(exp.get("input_ids"));
        Forward f = m.forward(TokenBatch.of(input));
        double lpErr = 0;
        double[][] lp = f.tokenLogProbs();
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < lp[b].length; t++) {
                lpErr = Math.max(lpErr, Math.abs(exp.get("token_logprobs").get(b).get(t).asDouble() - lp[b][t]));
            }
        }
        double err = maxLogitError(f, exp.get("logits"), input);
        assertTrue(err < 1e-4, "max |logit - PEFT| = " + err);
        assertTrue(lpErr < 1e-4, "max |log-prob - PEFT| = " + lpErr);
        CausalLM merged = CausalLM.fromWeights(m.config(), m.mergedWeights(), DataType.FLOAT);
        double mergedErr = maxLogitError(merged.forward(TokenBatch.of(input)), exp.get("merged_logits"), input);
        assertTrue(mergedErr < 1e-4, "max |merged logit - PEFT merge_and_unload| = " + mergedErr);
    }

    @Test
    void savedAdapterReloadsExactlyWithPeftNames(@TempDir Path tmp) throws IOException {
        CausalLM m = HfCheckpoint.load(HfConformanceTest.fixture("model_llama"));
        PeftAdapter.load(m, peft("llama_rslora_subset"));
        PeftAdapter.save(m, tmp.resolve("a"), "model_llama");
        JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("a/adapter_config.json").toFile());
        assertEquals("LORA", cfg.get("peft_type").asText());
        assertEquals(8, cfg.get("r").asInt());
        assertTrue(cfg.get("use_rslora").asBoolean());
        List<String> names = new java.util.ArrayList<>(
                org.align4j.policy.io.SafeTensors.read(tmp.resolve("a/adapter_model.safetensors")).keySet());
        assertTrue(names.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"), names.toString());
        CausalLM again = HfCheckpoint.load(HfConformanceTest.fixture("model_llama"));
        PeftAdapter.load(again, tmp.resolve("a"));
        TokenBatch b = TokenBatch.of(new int[] {5, 9, 100, 7}, new int[] {3, 4});
        assertEquals(m.forward(b).tokenLogProbs()[0][2], again.forward(b).tokenLogProbs()[0][2], 0.0);
    }

    @Test
    void adapterForAnotherBaseIsRefusedNamingTheTensor() {
        ModelConfig narrow = new ModelConfig(ModelConfig.LLAMA, 512, 64, 96, 2, 4, 2, 16, 64, 1e-6, 10000.0, false,
                false, 1, new int[] {2});
        CausalLM m = CausalLM.initialize(narrow, DataType.FLOAT, 1);
        BadInputException e = assertThrows(BadInputException.class,
                () -> PeftAdapter.load(m, peft("llama_all_linear")));
        assertTrue(e.getMessage().contains("lora_") && e.getMessage().contains("but this base model needs"),
                e.getMessage());
        CausalLM ds = HfCheckpoint.load(HfConformanceTest.fixture("model_deepseek_v3"));
        e = assertThrows(BadInputException.class, () -> PeftAdapter.load(ds, peft("llama_rslora_subset")));
        assertTrue(e.getMessage().contains("'v_proj' matches no linear layer"), e.getMessage());
    }

    @Test
    void unsupportedPeftSettingsAreRefusedByKey(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("dora");
        Files.createDirectories(dir);
        String cfg = Files.readString(peft("llama_all_linear").resolve("adapter_config.json"))
                .replace("\"use_dora\": false", "\"use_dora\": true");
        Files.writeString(dir.resolve("adapter_config.json"), cfg);
        BadInputException e = assertThrows(BadInputException.class, () -> PeftAdapter.readConfig(dir));
        assertTrue(e.getMessage().contains("use_dora"), e.getMessage());
    }
}
