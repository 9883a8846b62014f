package org.align4j.cli;

import org.align4j.policy.testing.TestFixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RmCommandTest {

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    /** Runs the CLI and returns what it printed on System.out (the commands print their JSON there). */
    private String run(int expectedExit, String... args) {
        PrintStream old = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            CommandLine cl = Align4j.commandLine();
            cl.setErr(new PrintWriter(err, true));
            assertEquals(expectedExit, cl.execute(args), err.toString());
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private Path pairs(String name, int n, long seed) throws Exception {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int a = r.nextInt(9) + 1;
            int b = r.nextInt(9) + 1;
            sb.append("{\"prompt\": \"What is ").append(a).append(" + ").append(b).append("?\", \"chosen\": \"")
                    .append(a).append(" + ").append(b).append(" = ").append(a + b).append("\\n#### ").append(a + b)
                    .append("\", \"rejected\": \"I do not know.\"}\n");
        }
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    private Path config() throws Exception {
        Path tok = TestFixtures.tinyTokenizer();
        Path init = dir.resolve("init.json");
        AtomicFiles.writeJson(init, ModelConfig.llama(266, 16, 32, 1, 2, 1, 64, 1, new int[] {2}).toJson());
        return Files.writeString(dir.resolve("rm.yaml"), String.join("\n",
                "init_config: " + init,
                "tokenizer: " + tok,
                "kind: orm",
                "train_file: " + pairs("train.jsonl", 64, 1),
                "eval_file: " + pairs("eval.jsonl", 32, 2),
                "output_dir: " + dir.resolve("run"),
                "learning_rate: 0.01",
                "batch_size: 8",
                "max_steps: 12",
                "logging_steps: 4",
                ""));
    }

    @Test
    void trainsAndEvaluatesARewardModel() throws Exception {
        Path cfg = config();
        JsonNode trained = new ObjectMapper().readTree(run(0, "rm", "train", "--config", cfg.toString()));
        assertEquals("orm", trained.get("kind").asText());
        assertEquals(12, trained.get("steps").asInt());
        assertTrue(trained.get("eval_accuracy").asDouble() > 0.8, trained.toString());
        JsonNode eval = new ObjectMapper().readTree(run(0, "rm", "eval", "--model", trained.get("final_model").asText(),
                "--data", dir.resolve("eval.jsonl").toString()));
        assertEquals(32, eval.get("rows").asInt());
        assertEquals(trained.get("eval_accuracy").asDouble(), eval.get("accuracy").asDouble(), 1e-9);
    }

    @Test
    void badInputIsOneLineNamingTheKey() throws Exception {
        Path cfg = config();
        run(2, "rm", "train", "--config", cfg.toString(), "--set", "replay_fraction=1.5");
        assertTrue(err.toString().startsWith("align4j rm train: error: "), err.toString());
        assertTrue(err.toString().contains("replay_fraction"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void helpShowsAnExample() {
        String help = Align4j.commandLine().getSubcommands().get("rm").getSubcommands().get("train").getUsageMessage();
        assertTrue(help.contains("align4j rm train --config"), help);
    }
}
