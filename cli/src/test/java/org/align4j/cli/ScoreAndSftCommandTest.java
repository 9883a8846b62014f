package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TokenBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class ScoreAndSftCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void scorePrintsTeacherForcedLogProbsOfRaggedRows(@TempDir Path dir) throws Exception {
        CausalLM m = CausalLM.initialize(ModelConfig.llama(40, 16, 32, 1, 2, 1, 32, null, new int[0]),
                DataType.FLOAT, 5);
        HfCheckpoint.save(m, dir.resolve("m"), null);
        Path in = dir.resolve("in.json");
        Files.writeString(in, "{\"input_ids\": [[1, 5, 9, 3], [7, 2]]}");
        CliRun r = CliRun.of("score", "--model", dir.resolve("m").toString(), "--input", in.toString(), "--logits");
        assertEquals(0, r.exit(), r.err());
        JsonNode n = JSON.readTree(r.out());
        double[][] want = m.forward(TokenBatch.of(new int[] {1, 5, 9, 3}, new int[] {7, 2})).tokenLogProbs();
        assertEquals(3, n.get("token_logprobs").get(0).size());
        assertEquals(1, n.get("token_logprobs").get(1).size());
        assertEquals(want[0][2], n.get("token_logprobs").get(0).get(2).asDouble(), 1e-6);
        assertEquals(40, n.get("logits").get(1).get(1).size());
        Files.writeString(in, "{\"input_ids\": [[1, \"x\"]]}");
        CliRun bad = CliRun.of("score", "--model", dir.resolve("m").toString(), "--input", in.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("input_ids[0][1] is not an integer"), bad.err());
        Files.writeString(in, "{\"input_ids\": [[1, 2], [3, 40]]}");
        CliRun oov = CliRun.of("score", "--model", dir.resolve("m").toString(), "--input", in.toString());
        assertEquals(2, oov.exit());
        assertEquals("align4j score: error: " + in + ": input_ids[1][1]: id 40 is outside the model's vocabulary "
                + "[0, 40)", oov.err().strip());
        CliRun missing = CliRun.of("score", "--model", dir.resolve("nothing").toString(), "--input", in.toString());
        assertEquals("align4j score: error: --model: model directory '" + dir.resolve("nothing") + "' does not exist",
                missing.err().strip());
    }

    @Test
    void sftTrainsFromAConfigFileAndRefusesUnknownKeys(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, ModelConfig.llama(16, 16, 32, 1, 2, 1, 32, null, new int[0]).toJson().toString());
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            rows.append("{\"prompt_ids\": [").append(i % 8).append(", 1], \"completion_ids\": [2, 3, 4]}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), rows.toString());
        Path yaml = dir.resolve("sft.yaml");
        Files.writeString(yaml, "init_config: " + cfg + "\ntrain_file: " + dir.resolve("train.jsonl")
                + "\noutput_dir: " + dir.resolve("run") + "\nmax_steps: 4\nbatch_size: 8\nlogging_steps: 1\n");
        CliRun r = CliRun.of("sft", "--config", yaml.toString(), "--set", "learning_rate=0.01");
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("run/final/model.safetensors")));
        assertEquals(4, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());
        CliRun bad = CliRun.of("sft", "--config", yaml.toString(), "--set", "lerning_rate=0.1");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("lerning_rate"), bad.err());
    }
}
