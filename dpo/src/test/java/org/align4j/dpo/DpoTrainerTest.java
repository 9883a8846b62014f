package org.align4j.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Whole runs from files: metrics, checkpoints, exact resume, final model, bad input. */
class DpoTrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path model() {
        Path dir = tmp.resolve("model");
        HfCheckpoint.save(DpoBatchTrainerTest.tinyModel(), dir, null);
        return dir;
    }

    private Path data(String name, List<PreferencePair> pairs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (PreferencePair p : pairs) {
            sb.append(JSON.writeValueAsString(Map.of("prompt_ids", p.prompt(), "chosen_ids", p.chosen(),
                    "rejected_ids", p.rejected()))).append('\n');
        }
        Path f = tmp.resolve(name);
        Files.writeString(f, sb.toString());
        return f;
    }

    private DpoConfig config(Path model, boolean precompute, String... more) throws IOException {
        List<String> sets = new ArrayList<>(List.of("model_name_or_path=" + model,
                "train_file=" + data("train.jsonl", SyntheticPreferences.generate(48, 1)),
                "eval_file=" + data("eval.jsonl", SyntheticPreferences.generate(16, 2)),
                "output_dir=" + tmp.resolve("run"), "batch_size=4", "gradient_accumulation_steps=2",
                "max_steps=6", "save_steps=3", "logging_steps=2", "eval_steps=3", "learning_rate=5e-3",
                "precompute_ref_log_probs=" + precompute));
        sets.addAll(List.of(more));
        return ConfigLoader.load(null, DpoConfig.class, sets);
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aResumedRunEndsWithTheSameWeightsAndMetrics(boolean precompute) throws IOException {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Path model = model();
        DpoConfig config = config(model, precompute);
        DpoTrainer.Result full = new DpoTrainer(config, false, quiet).train();
        Path run = full.runDir();
        assertEquals(6, full.steps());
        assertTrue(Files.isRegularFile(run.resolve("metrics.png")));
        assertTrue(Files.isRegularFile(run.resolve(RunDirectory.CONFIG)));
        List<JsonNode> rows = metrics(run);
        assertEquals(List.of(2L, 3L, 4L, 6L), rows.stream().map(r -> r.get("step").asLong()).toList());
        for (String key : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "logps/rejected", "learning_rate", "grad_norm", "epoch")) {
            assertTrue(rows.get(0).has(key), key);
        }
        assertTrue(rows.get(1).has("eval_rewards/accuracies") && rows.get(3).has("eval_loss"));

        Map<String, INDArray> expected = HfCheckpoint.load(full.finalModel()).weights();
        INDArray start = HfCheckpoint.load(model).weights().get("model.embed_tokens.weight");
        assertTrue(start.sub(expected.get("model.embed_tokens.weight")).norm2Number().doubleValue() > 1e-3,
                "training moved the weights");
        // simulate a crash after the step-3 checkpoint: drop the final model and resume
        AtomicFiles.deleteRecursively(full.finalModel());
        assertEquals(List.of(3L), RunDirectory.checkpoints(run).stream().map(RunDirectory.Checkpoint::step).toList());
        DpoTrainer.Result resumed = new DpoTrainer(config, true, quiet).train();
        CausalLM again = HfCheckpoint.load(resumed.finalModel());
        expected.forEach((name, w) -> assertArrayEquals(w.ravel().toFloatVector(), again.weights().get(name).ravel().toFloatVector(),
                1e-6f, name));
        List<JsonNode> after = metrics(run);
        assertEquals(rows.size(), after.size(), "no duplicated metric lines");
        assertEquals(rows.get(3).get("eval_loss").asDouble(), after.get(3).get("eval_loss").asDouble(), 1e-6);
        assertEquals(full.eval().get("eval_rewards/margins"), resumed.eval().get("eval_rewards/margins"), 1e-6);
    }

    @Test
    void badRowsAreNamedByFileAndLine() throws IOException {
        Path model = model();
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt_ids\": [1, 3], \"chosen_ids\": [4], \"rejected_ids\": [5]}\n"
                + "{\"prompt_ids\": [1, 3], \"chosen_ids\": [4]}\n");
        DpoConfig c = config(model, false, "train_file=" + bad);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        BadInputException e = assertThrows(BadInputException.class, () -> new DpoTrainer(c, false, quiet).train());
        assertEquals(bad + ":2: key 'rejected_ids' must be an array of token ids (missing)", e.getMessage());

        Files.writeString(bad, "{\"prompt\": \"hi\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        e = assertThrows(BadInputException.class,
                () -> new DpoTrainer(config(model, false, "train_file=" + bad, "output_dir=" + tmp.resolve("r2")),
                        false, quiet).train());
        assertTrue(e.getMessage().startsWith(bad + ":1: text rows need a tokenizer"), e.getMessage());

        Files.writeString(bad, "{\"prompt_ids\": [1], \"chosen_ids\": [99], \"rejected_ids\": [5]}\n");
        e = assertThrows(BadInputException.class,
                () -> new DpoTrainer(config(model, false, "train_file=" + bad, "output_dir=" + tmp.resolve("r3")),
                        false, quiet).train());
        assertEquals(bad + ":1: chosen_ids[0] = 99 is outside the model's vocabulary of 24", e.getMessage());
    }

    @Test
    void configKeysAreCheckedByName() {
        BadInputException e = assertThrows(BadInputException.class, () -> ConfigLoader.load(null, DpoConfig.class,
                List.of("model_name_or_path=m", "train_file=t", "loss_type=ipo", "label_smoothing=0.1")));
        assertTrue(e.getMessage().contains("label_smoothing does not apply to loss_type ipo"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> ConfigLoader.load(null, DpoConfig.class,
                List.of("model_name_or_path=m", "train_file=t", "max_length=64", "max_prompt_length=64")));
        assertTrue(e.getMessage().contains("max_length (64) must exceed max_prompt_length (64)"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> ConfigLoader.load(null, DpoConfig.class,
                List.of("model_name_or_path=m", "train_file=t", "los_type=ipo")));
        assertTrue(e.getMessage().contains("unknown key 'los_type'"), e.getMessage());
        DpoConfig preset = ConfigLoader.load(null, DpoConfig.class, concat(DpoPreset.parse("deepseek").overrides(),
                List.of("model_name_or_path=m", "train_file=t")));
        assertEquals(5e-6, preset.learningRate);
        assertEquals("cosine", preset.lrSchedulerType);
        assertEquals(1.0, preset.numTrainEpochs);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
