package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.reward.sandbox.HostSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code demo end to end at a tiny size (a few steps): every phase runs and summary.json has the math demo's
 * keys with valid numbers. Whether RL helps is the full demo's measurement (docs/code-demo.md), not asserted here.
 */
class MiniCodeRlTest {

    @TempDir
    Path dir;

    @Test
    void tinyCodeDemoWritesTheMathDemosSummaryKeys() throws Exception {
        assumeTrue(HostSupport.get().bwrapWorks() || HostSupport.get().unshareWorks(), "no sandbox works here");
        List<String> settings = new ArrayList<>(CodeDemoConfig.QUICK);
        settings.addAll(List.of("train_tasks=200", "test_tasks=8", "dev_tasks=4", "sft_steps=10", "grpo_steps=2",
                "eval_samples=2", "k=2"));
        CodeDemoConfig config = ConfigLoader.load(null, CodeDemoConfig.class, settings);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path out = dir.resolve("demo");
        CodeDemoSummary s = new MiniCodeRl(config, DemoOutput.prepare(out, false),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();

        JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        for (String side : new String[] {"before", "after"}) {
            for (String metric : new String[] {"pass@1", "maj@k", "pass@k"}) {
                JsonNode v = json.path(side).path(metric);
                assertTrue(v.isNumber(), side + "." + metric + " missing: " + json);
                assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, side + "." + metric + " = " + v);
            }
            JsonNode h = json.path("greedy_hard_coding").path(side);
            assertEquals(8, h.path("general").asInt() + h.path("hard_coded").asInt());
        }
        assertEquals(2, json.path("k").asInt());
        assertEquals(8, json.path("n_problems").asInt());
        assertEquals(1, json.path("seed").asLong());
        assertEquals("code", json.path("task").asText());
        assertEquals(100, Files.readAllLines(out.resolve("train.jsonl")).stream()
                .filter(l -> l.contains("\"shortcut\":true")).count());
        assertEquals(8, Files.readAllLines(out.resolve("eval/after.jsonl")).size());
        assertTrue(Files.isRegularFile(out.resolve("grpo/final/model.safetensors")));
        String text = log.toString(StandardCharsets.UTF_8);
        for (int phase = 1; phase <= 7; phase++) {
            assertTrue(text.contains("[" + phase + "/7]"), "no progress line for phase " + phase + ":\n" + text);
        }
        String report = DemoReport.render(s, DemoOutput.prepare(out, true));
        assertTrue(report.contains("before RL (SFT)") && report.contains("after RL (GRPO)"), report);
        assertFalse(report.contains("NaN"), report);
    }

    @Test
    void hardCodingTellsAConstantFromAFunctionOfTheArgument() {
        assertTrue(HardCoding.usesArgument("def f(x):\n    return x * 3 + 1"));
        assertTrue(HardCoding.usesArgument("def f(xs):\n    return [v + 1 for v in xs]"));
        assertFalse(HardCoding.usesArgument("def f(x):\n    return 7"));
        assertFalse(HardCoding.usesArgument("def f(s):\n    return 'abxab'"));
        assertFalse(HardCoding.usesArgument("def f(xs):\n    return [6, 9]"));
    }
}
