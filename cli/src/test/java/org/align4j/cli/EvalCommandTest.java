package org.align4j.cli;

import org.align4j.policy.testing.TestFixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class EvalCommandTest {
    @TempDir
    static Path dir;
    static Path modelDir;
    static Path dataset;

    @BeforeAll
    static void saveModelAndData() throws Exception {
        Path tok = TestFixtures.tinyTokenizer();
        CausalLM model = CausalLM.initialize(ModelConfig.llama(266, 32, 64, 2, 4, 2, 128, 1, new int[] {2}),
                DataType.FLOAT, 5);
        modelDir = dir.resolve("model");
        HfCheckpoint.save(model, modelDir, tok);
        dataset = Files.writeString(dir.resolve("test.jsonl"), """
                {"prompt": "What is 2 + 3?", "answer": "5"}
                {"prompt": "What is 4 * 2?", "answer": 8}
                {"prompt": "What is 9 - 7?", "answer": "2"}
                """);
    }

    @Test
    void printsJsonWithTheThreeMetricsAndWritesItAndThePerProblemRows() throws Exception {
        Path out = dir.resolve("eval/out.json");
        Path details = dir.resolve("eval/details.jsonl");
        CliRun r = CliRun.of("eval", "--model", modelDir.toString(), "--dataset", dataset.toString(), "--k", "2", "--n", "3",
                "--max-completion-length", "6", "--json", "--out", out.toString(), "--details", details.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode printed = new ObjectMapper().readTree(r.out());
        assertEquals(printed, new ObjectMapper().readTree(out.toFile()));
        for (String m : new String[] {"pass@1", "maj@k", "pass@k"}) {
            double v = printed.get(m).asDouble();
            assertTrue(v >= 0 && v <= 1, m + " = " + v);
        }
        assertEquals(2, printed.get("k").asInt());
        assertEquals(3, printed.get("samples_per_problem").asInt());
        assertEquals(3, printed.get("n_problems").asInt());
        assertEquals(3, Files.readAllLines(details).size());
        assertEquals(3, new ObjectMapper().readTree(Files.readAllLines(details).get(0)).get("sample_answers").size());
    }

    @Test
    void printsATableByDefault() {
        CliRun r = CliRun.of("eval", "--model", modelDir.toString(), "--dataset", dataset.toString(), "--k", "1",
                "--max-completion-length", "4");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("Pass@1 (greedy)") && r.out().contains("Maj@1"), r.out());
    }

    @Test
    void badInputIsOneLineNamingTheFileLineOrOption() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"x\", \"answer\": \"1\"}\n{\"prompt\": \"y\"}\n");
        CliRun r = CliRun.of("eval", "--model", modelDir.toString(), "--dataset", bad.toString(), "--k", "1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("bad.jsonl:2") && r.err().strip().lines().count() == 1, r.err());

        r = CliRun.of("eval", "--model", modelDir.toString(), "--dataset", dataset.toString(), "--k", "4", "--n", "2");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("at least k = 4"), r.err());

        r = CliRun.of("eval", "--model", dir.toString(), "--dataset", dataset.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("tokenizer.json"), r.err());
    }
}
