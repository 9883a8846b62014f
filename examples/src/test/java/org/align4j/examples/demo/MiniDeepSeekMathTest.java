package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.policy.train.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick demo end to end, as CI runs it. It checks that every phase ran and that summary.json holds valid
 * numbers; whether RL improved this seed is not asserted: a small run's gain varies, and the demo reports it.
 */
class MiniDeepSeekMathTest {

    @TempDir
    Path dir;

    private static JsonNode readTree(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void quickDemoWritesSummaryWithValidProbabilities() throws Exception {
        DemoConfig config = ConfigLoader.load(null, DemoConfig.class, DemoConfig.QUICK);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path out = dir.resolve("demo");
        DemoSummary s = new MiniDeepSeekMath(config, DemoOutput.prepare(out, false),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();

        JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        for (String side : new String[] {"before", "after"}) {
            for (String metric : new String[] {"pass@1", "maj@k", "pass@k"}) {
                JsonNode v = json.path(side).path(metric);
                assertTrue(v.isNumber(), side + "." + metric + " missing: " + json);
                assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, side + "." + metric + " = " + v);
            }
            // a majority answer is one of the samples, so Maj@k can never beat Pass@k
            assertTrue(json.path(side).path("maj@k").asDouble() <= json.path(side).path("pass@k").asDouble() + 1e-12);
        }
        assertEquals(config.k, json.path("k").asInt());
        assertEquals(config.testProblems, json.path("n_problems").asInt());
        assertEquals(config.seed, json.path("seed").asLong());
        assertEquals(s.nProblems(), json.path("n_problems").asInt());

        // terse_share of the SFT solutions are bare answers, chosen by the seed
        long bare = Files.readAllLines(out.resolve("train.jsonl")).stream()
                .map(line -> readTree(line).path("completion").asText())
                .filter(c -> !ShownWork.showsWorking(c)).count();
        assertEquals(Math.round(config.terseShare * config.trainProblems), bare);
        for (String side : new String[] {"before", "after"}) {
            JsonNode w = json.path("greedy_working").path(side);
            assertEquals(config.testProblems, w.path("with_working").asInt() + w.path("bare_answer").asInt(), side);
            int correct = w.path("with_working_correct").asInt() + w.path("bare_answer_correct").asInt();
            assertEquals(Math.round(json.path(side).path("pass@1").asDouble() * config.testProblems), correct, side);
        }

        assertTrue(Files.isRegularFile(out.resolve("sft/final/model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("grpo/final/tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("sft/metrics.png")));
        assertTrue(Files.isRegularFile(out.resolve("grpo/metrics.png")));
        assertEquals(config.testProblems, Files.readAllLines(out.resolve("eval/after.jsonl")).size());
        String text = log.toString(StandardCharsets.UTF_8);
        for (int phase = 1; phase <= 7; phase++) {
            assertTrue(text.contains("[" + phase + "/7]"), "no progress line for phase " + phase + ":\n" + text);
        }
        String report = DemoReport.render(s, DemoOutput.prepare(out, true));
        assertTrue(report.contains("before RL (SFT)") && report.contains("after RL (GRPO)"), report);
    }
}
