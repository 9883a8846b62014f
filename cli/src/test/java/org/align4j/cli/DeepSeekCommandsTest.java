package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** align4j init-model (the example's tiny DeepSeek policy) and align4j bench-mla. */
class DeepSeekCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** examples/configs/deepseek-tiny.json, found from the module directory or the repository root. */
    static Path exampleConfig() {
        for (Path p : new Path[] {Paths.get("../examples/configs/deepseek-tiny.json"),
                Paths.get("examples/configs/deepseek-tiny.json")}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("examples/configs/deepseek-tiny.json not found");
    }

    @Test
    void initModelTrainsATokenizerAndWritesALoadableDeepSeekModel(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("math.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            sb.append("{\"prompt\": \"Mia has ").append(i).append(" apples and buys ").append(i % 7)
                    .append(" more.\", \"completion\": \"She has ").append(i + i % 7).append(".\\n#### ")
                    .append(i + i % 7).append("\", \"answer\": \"").append(i + i % 7).append("\"}\n");
        }
        Files.writeString(corpus, sb.toString());
        Path out = dir.resolve("model");
        CliRun r = CliRun.of("init-model", "--config", exampleConfig().toString(), "--train-tokenizer", corpus.toString(),
                "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        CausalLM m = HfCheckpoint.load(out);
        Tokenizer tok = Tokenizer.load(out);
        assertEquals(ModelConfig.DEEPSEEK_V3, m.config().architecture);
        assertEquals(tok.vocabSize(), m.config().vocabSize);
        assertEquals(tok.eosId().intValue(), m.config().eosTokenIds[0]);
        assertEquals(m.parameterCount(), summary.get("parameters").asLong());
        assertEquals(2, m.expertLoad().length, "layers 1 and 2 have routed experts");

        // an existing tokenizer is copied instead
        CliRun again = CliRun.of("init-model", "--config", exampleConfig().toString(), "--tokenizer", out.toString(),
                "--out", dir.resolve("second").toString(), "--seed", "3");
        assertEquals(0, again.exit(), again.err());
        assertTrue(Files.isRegularFile(dir.resolve("second/tokenizer.json")));
        CliRun neither = CliRun.of("init-model", "--config", exampleConfig().toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, neither.exit());
    }

    @Test
    void benchMlaReportsTheCacheReduction() throws Exception {
        CliRun r = CliRun.of("bench-mla", "--json", "--d", "32", "--layers", "1", "--heads", "4", "--ffn", "64", "--vocab",
                "300", "--experts", "4", "--top-k", "1", "--shared-experts", "1", "--prompts", "1", "--group", "2",
                "--prompt-len", "4", "--new-tokens", "4", "--context", "64", "--budget-mb", "1", "--repeats", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode n = JSON.readTree(r.out());
        // MHA: k and v of 4 heads x 8 dims; MLA: latent 4 x 8 plus RoPE key 4 (float32): 36 values instead of 64
        assertEquals(2 * 4 * 8 * 4, n.get("llama_mha").get("kv_bytes_per_token").asLong());
        assertEquals((32 + 4) * 4, n.get("deepseek_mla_dense").get("kv_bytes_per_token").asLong());
        assertEquals(1.0 - 36.0 / 64, n.get("kv_cache_reduction").asDouble(), 1e-4);
        assertEquals((1 << 20) / (36 * 4 * 64), n.get("deepseek_mla_moe").get("max_sequences_in_budget").asLong());
        assertTrue(n.get("deepseek_mla_moe").get("sample_tokens_per_s").asDouble() > 0);
    }
}
