package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.align4j.examples.bench.Benchmark;
import org.align4j.policy.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** align4j bench --model-config: random weights of a config.json (here a tiny DeepSeek-V2 with YaRN, MLA and MoE). */
class BenchModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The V2 YaRN fixture's config (legacy rope_scaling spelling, as the released DeepSeek-V2 configs write it). */
    private static Path tinyDeepSeekV2() throws Exception {
        return Paths.get(BenchModelConfigTest.class.getResource("/bench/deepseek-v2-tiny.json").toURI());
    }

    @Test
    void everyPhaseRunsOnTheConfigsModelWithLoraAndBf16() throws Exception {
        Path config = tinyDeepSeekV2();
        CliRun r = CliRun.of("bench", "--json", "--model-config", config.toString(), "--batch", "2", "--seq", "16",
                "--prompts", "2", "--group", "2", "--prompt-len", "4", "--new-tokens", "4", "--repeats", "1",
                "--lora-r", "2", "--bf16");
        assertEquals(0, r.exit(), r.err());
        JsonNode n = JSON.readTree(r.out());
        assertEquals(ModelConfig.DEEPSEEK_V2, n.get("architecture").asText());
        assertEquals(ModelConfig.read(config).parameterCount(), n.get("params").asLong());
        long active = n.get("active_params").asLong();
        assertTrue(active < n.get("params").asLong(), "2 of 8 routed experts per token");
        assertEquals(4.0 * active + 6.0 * n.get("lora").get("trainable_params").asLong(),
                n.get("train_model_flops_per_token").asDouble(), 0.5, "LoRA: frozen base 2 + 2, adapters 6");
        assertEquals(config.toString(), n.get("model_config").asText());
        JsonNode shape = n.get("shape");
        assertEquals(64, shape.get("d").asInt());
        assertEquals(2, shape.get("layers").asInt());
        assertEquals(512, shape.get("vocab").asInt());
        assertEquals(16, shape.get("kv_lora_rank").asInt());
        assertEquals(8, shape.get("routed_experts").asInt());
        assertEquals(2, shape.get("experts_per_tok").asInt());
        assertEquals(16, shape.get("seq").asInt());
        assertTrue(n.get("lora").get("trainable_params").asLong() > 0);
        assertTrue(n.get("lora").get("trainable_params").asLong() < n.get("params").asLong());
        assertTrue(n.get("model_settings").get("bf16").asBoolean());
        assertTrue(n.get("train_tokens_per_s").asDouble() > 0, r.out());
        assertTrue(n.get("sample_tokens_per_s").asDouble() > 0, r.out());
        JsonNode grpo = n.get("grpo_step_seconds");
        assertEquals(4, grpo.get("completions").asInt());
        assertTrue(grpo.get("total").asDouble() > 0, r.out());
        assertEquals(grpo.get("total").asDouble(), grpo.get("rollout").asDouble() + grpo.get("reward").asDouble()
                + grpo.get("update").asDouble(), 0.0015);
    }

    /** bench/configs/NAME.json, found from the module directory or the repository root. */
    private static Path committedConfig(String name) {
        for (Path p : new Path[] {Paths.get("../bench/configs", name + ".json"),
                Paths.get("bench/configs", name + ".json")}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("bench/configs/" + name + ".json not found");
    }

    /** The committed configs load as the released models: their parameter counts and DeepSeek-V2-Lite's settings. */
    @Test
    void theCommittedConfigsAreTheReleasedModels() {
        ModelConfig v2 = Benchmark.readModelConfig(committedConfig("deepseek-v2-lite"));
        assertEquals(15_706_484_224L, v2.parameterCount(), "DeepSeek-V2-Lite: 15.7B");
        // 6 of the 64 routed experts per token, as the model card's "2.4B activated" (which leaves out the 0.21B
        // embedding): 2.66B in all
        long expertsLeftOut = 26L * 58 * 3 * 2048 * 1408;
        assertEquals(15_706_484_224L - expertsLeftOut, v2.activeParameterCount());
        assertEquals(2.45e9, v2.activeParameterCount() - 102400L * 2048, 0.01e9, "2.4B activated");
        ModelConfig q15 = Benchmark.readModelConfig(committedConfig("qwen2.5-1.5b"));
        assertEquals(q15.parameterCount(), q15.activeParameterCount(), "dense: every parameter is active");
        assertEquals(ModelConfig.DEEPSEEK_V2, v2.architecture);
        assertEquals(27, v2.numLayers);
        assertEquals(0, v2.mla.qLoraRank());
        assertEquals(512, v2.mla.kvLoraRank());
        assertEquals(128 + 64, v2.mla.qkHeadDim());
        assertEquals(64, v2.moe.nRoutedExperts());
        assertEquals(6, v2.moe.numExpertsPerTok());
        assertEquals(2, v2.moe.nSharedExperts());
        assertEquals(1408, v2.moe.moeIntermediateSize());
        assertTrue(!v2.moe.isMoeLayer(0) && v2.moe.isMoeLayer(1), "the first layer is dense");
        assertEquals("yarn", v2.ropeScaling.type);
        assertEquals(40.0, v2.ropeScaling.factor);
        assertEquals(4096, v2.ropeScaling.originalMaxPositions);
        assertEquals(2, v2.eosTokenIds[0], "the benchmark tokenizer's eos, not the released 100001");
        assertEquals(494_032_768L, Benchmark.readModelConfig(committedConfig("qwen2.5-0.5b")).parameterCount());
        assertEquals(1_543_714_304L, Benchmark.readModelConfig(committedConfig("qwen2.5-1.5b")).parameterCount());
        assertEquals(7_615_616_512L, Benchmark.readModelConfig(committedConfig("qwen2.5-7b")).parameterCount());
    }

    /** Sampling only, bf16 without adapters (every weight bf16 only, since nothing is trained): one measurement. */
    @Test
    void theSamplePhaseAloneOnAQwen2Config(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"vocab_size\": 320, "
                + "\"hidden_size\": 32, "
                + "\"intermediate_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, "
                + "\"num_key_value_heads\": 2, \"max_position_embeddings\": 64, \"tie_word_embeddings\": true}");
        CliRun r = CliRun.of("bench", "--json", "--model-config", config.toString(), "--phases", "sample", "--bf16",
                "--prompts", "2", "--group", "2", "--prompt-len", "4", "--new-tokens", "4", "--seq", "16",
                "--repeats", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode n = JSON.readTree(r.out());
        assertEquals(ModelConfig.QWEN2, n.get("architecture").asText());
        assertTrue(n.get("tie_word_embeddings").asBoolean());
        assertTrue(n.get("sample_tokens_per_s").asDouble() > 0, r.out());
        assertTrue(!n.has("train_tokens_per_s") && !n.has("grpo_step_seconds"), r.out());
        assertEquals(2, n.get("shape").get("kv_heads").asInt());
    }

    @Test
    void aBadConfigFileOrAModelFlagBesideItIsOneLine(@TempDir Path dir) throws Exception {
        Path missingKey = dir.resolve("missing.json");
        Files.writeString(missingKey, "{\"architectures\": [\"DeepseekV2ForCausalLM\"], \"hidden_size\": 64}");
        assertOneLineError(CliRun.of("bench", "--model-config", missingKey.toString()), missingKey + ": missing key '");

        Path notJson = dir.resolve("broken.json");
        Files.writeString(notJson, "{\"architectures\": [");
        assertOneLineError(CliRun.of("bench", "--model-config", notJson.toString()),
                notJson + ": cannot read the model config");

        Path unknown = dir.resolve("gpt2.json");
        Files.writeString(unknown, "{\"architectures\": [\"GPT2LMHeadModel\"]}");
        assertOneLineError(CliRun.of("bench", "--model-config", unknown.toString()),
                unknown + ": unsupported architecture 'GPT2LMHeadModel' (supported: LlamaForCausalLM");

        assertOneLineError(CliRun.of("bench", "--model-config", tinyDeepSeekV2().toString(), "--d", "64", "--untied"),
                "--model-config sets the model: drop --d, --untied");
        // the tiny config's 64 positions are shorter than the default 256-token training sequences
        assertOneLineError(CliRun.of("bench", "--model-config", tinyDeepSeekV2().toString()),
                "max_position_embeddings (64) is shorter than the benchmark's sequences (256 tokens)");
    }

    private static void assertOneLineError(CliRun r, String expected) {
        assertEquals(2, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("align4j bench: error: "), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }
}
