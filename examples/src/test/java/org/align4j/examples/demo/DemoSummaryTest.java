package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.examples.eval.EvalReport;
import org.align4j.policy.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** summary.json keeps each task's keys: the task's own, and the shared training facts written as its keys. */
class DemoSummaryTest {

    @TempDir
    Path dir;

    private static final DemoTraining TRAINING = new DemoTraining(1000, 512, 10, 1.5, 2, 0.25, 40, "sft/final",
            "grpo/final", Map.of("sft", "sft/metrics.png"), Map.of("total", 1.0), Map.of("total", 2.0));
    private static final EvalReport REPORT = new EvalReport(0.5, 0.5, 0.75, 2, 4);
    private static final List<String> TRAINING_KEYS = List.of("model_parameters", "vocab_size", "sft_steps",
            "sft_final_loss", "grpo_steps", "grpo_final_reward", "max_completion_length", "sft_model", "grpo_model",
            "plots", "wall_seconds", "cpu_seconds");

    @Test
    void mathSummaryKeys() throws Exception {
        ShownWork w = new ShownWork(1, 1, 3, 1);
        JsonNode json = written(new DemoSummary(REPORT, REPORT, Map.of("before", w, "after", w), 2, 4, 1, 3, 0.7,
                "outcome", false, "easy", 100, 0.5, TRAINING));
        List<String> expected = new ArrayList<>(List.of("before", "after", "greedy_working", "k", "n_problems", "seed",
                "samples_per_problem", "eval_temperature", "supervision", "iterative", "difficulty", "train_problems",
                "terse_share"));
        expected.addAll(TRAINING_KEYS);
        assertEquals(expected, keys(json));
        assertEquals(1000, json.path("model_parameters").asLong());
        assertEquals(1.0, json.path("wall_seconds").path("total").asDouble());
    }

    @Test
    void codeSummaryKeys() throws Exception {
        HardCoding h = new HardCoding(2, 1, 2, 0);
        JsonNode json = written(new CodeDemoSummary("code", REPORT, REPORT, Map.of("before", h, "after", h), 2, 4, 1,
                3, 0.7, 100, 0.5, "bwrap", TRAINING));
        List<String> expected = new ArrayList<>(List.of("task", "before", "after", "greedy_hard_coding", "k",
                "n_problems", "seed", "samples_per_problem", "eval_temperature", "train_tasks", "shortcut_share",
                "sandbox"));
        expected.addAll(TRAINING_KEYS);
        assertEquals(expected, keys(json));
        assertEquals("grpo/final", json.path("grpo_model").asText());
    }

    private JsonNode written(Object summary) throws Exception {
        Path file = dir.resolve("summary.json");
        AtomicFiles.writeJson(file, summary);
        return new ObjectMapper().readTree(file.toFile());
    }

    private static List<String> keys(JsonNode json) {
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        return keys;
    }
}
