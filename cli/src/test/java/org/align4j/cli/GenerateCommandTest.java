package org.align4j.cli;

import org.align4j.policy.testing.TestFixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Greedy;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class GenerateCommandTest {
    @TempDir
    static Path dir;
    static Path modelDir;
    static CausalLM model;

    @BeforeAll
    static void saveModel() throws Exception {
        Path tok = TestFixtures.tinyTokenizer();
        model = CausalLM.initialize(ModelConfig.llama(266, 32, 64, 2, 4, 2, 128, 1, new int[] {2}), DataType.FLOAT, 3);
        modelDir = dir.resolve("model");
        HfCheckpoint.save(model, modelDir, tok);
    }

    @Test
    void writesACompletionPerLineWithTextIdsLogProbsAndFinishReason() throws IOException {
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"the answer is\", \"id\": \"a\"}\n{\"prompt_ids\": [1, 70, 71]}\n");
        Path out = dir.resolve("out/completions.jsonl");
        CliRun r = CliRun.of("generate", "--model", modelDir.toString(), "--prompts", prompts.toString(),
                "--num-generations", "3", "--max-completion-length", "12", "--top-k", "50", "--seed", "4",
                "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(6, lines.size());
        Tokenizer tok = Tokenizer.load(modelDir);
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < 6; i++) {
            JsonNode n = json.readTree(lines.get(i));
            assertEquals(i < 3 ? "a" : "1", n.get("prompt_id").asText());
            assertEquals(i % 3, n.get("index").asInt());
            int[] ids = new int[n.get("completion_ids").size()];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = n.get("completion_ids").get(j).asInt();
            }
            assertEquals(ids.length, n.get("logprobs").size());
            assertEquals(tok.decode(ids, true), n.get("text").asText());
            String reason = n.get("finish_reason").asText();
            assertTrue(reason.equals("length") ? ids.length == 12 : reason.equals("eos") && ids[ids.length - 1] == 2,
                    lines.get(i));
            for (JsonNode lp : n.get("logprobs")) {
                assertTrue(lp.asDouble() <= 0);
            }
        }
        // The same seed gives the same file.
        Path again = dir.resolve("out/again.jsonl");
        CliRun.of("generate", "--model", modelDir.toString(), "--prompts", prompts.toString(), "--num-generations", "3",
                "--max-completion-length", "12", "--top-k", "50", "--seed", "4", "-o", again.toString());
        assertEquals(lines, Files.readAllLines(again));
    }

    @Test
    void greedyInputIdsPrintTheOutputIds() throws IOException {
        CliRun r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", "1,70,71,72", "--max-new-tokens", "6",
                "--greedy");
        assertEquals(0, r.exit(), r.err());
        int[] expected = Greedy.generate(model, new int[] {1, 70, 71, 72}, 6);
        JsonNode ids = new ObjectMapper().readTree(r.out()).get("output_ids");
        int[] got = new int[ids.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = ids.get(i).asInt();
        }
        // Greedy.generate has no stop rule; generate stops after an eos.
        assertTrue(got.length == expected.length || got[got.length - 1] == 2);
        assertArrayEquals(java.util.Arrays.copyOf(expected, got.length), got);
    }

    @Test
    void badInputGetsAOneLineError() throws IOException {
        CliRun r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", "1,2", "--top-p", "0");
        assertEquals(2, r.exit());
        assertEquals("align4j generate: error: top_p must be in (0, 1], got 0.0", r.err().trim());
        r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", "1,x");
        assertEquals("align4j generate: error: --input-ids: 'x' is not a token id", r.err().trim());
        r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", "1,2", "--num-generations", "0");
        assertEquals("align4j generate: error: --num-generations must be >= 1, got 0", r.err().trim());
        r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", "1,2", "--temperature", "-1");
        assertEquals("align4j generate: error: temperature must be >= 0 (0 is greedy), got -1.0", r.err().trim());
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"\"}\n");
        r = CliRun.of("generate", "--model", modelDir.toString(), "--prompts", bad.toString());
        assertEquals("align4j generate: error: " + bad + ":1: key 'prompt' must be a non-empty string", r.err().trim());
        StringBuilder longIds = new StringBuilder("1");
        for (int i = 0; i < 130; i++) {
            longIds.append(",5");
        }
        r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", longIds.toString());
        assertTrue(r.err().trim().startsWith("align4j generate: error: prompt '0' has 131 tokens"), r.err());
    }

    @Test
    void idsOutsideTheVocabularyAndAMissingModelDirectoryAreNamed() throws IOException {
        CliRun r = CliRun.of("generate", "--model", modelDir.toString(), "--input-ids", "1,266", "--max-new-tokens", "2");
        assertEquals(2, r.exit());
        assertEquals("align4j generate: error: --input-ids[1]: id 266 is outside the model's vocabulary [0, 266)",
                r.err().trim());
        Path negative = dir.resolve("oov.jsonl");
        Files.writeString(negative, "{\"prompt_ids\": [1, 300], \"id\": \"q7\"}\n");
        r = CliRun.of("generate", "--model", modelDir.toString(), "--prompts", negative.toString());
        assertEquals("align4j generate: error: " + negative + ": prompt 'q7': ids[1]: id 300 is outside the model's "
                + "vocabulary [0, 266)", r.err().trim());
        Path prompts = dir.resolve("text.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"hi\"}\n");
        r = CliRun.of("generate", "--model", dir.resolve("no-such-model").toString(), "--prompts", prompts.toString());
        assertEquals("align4j generate: error: --model: model directory '" + dir.resolve("no-such-model")
                + "' does not exist", r.err().trim());
    }
}
