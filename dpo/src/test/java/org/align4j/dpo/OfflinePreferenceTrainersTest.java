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
import org.align4j.dpo.kto.KtoConfig;
import org.align4j.dpo.kto.KtoTrainer;
import org.align4j.dpo.orpo.OrpoConfig;
import org.align4j.dpo.orpo.OrpoTrainer;
import org.align4j.dpo.simpo.SimpoConfig;
import org.align4j.dpo.simpo.SimpoTrainer;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** KTO, ORPO and SimPO runs from files: they learn the synthetic preference, log TRL's metrics and resume. */
class OfflinePreferenceTrainersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private Path model() {
        Path dir = tmp.resolve("model");
        if (!Files.isDirectory(dir)) {
            HfCheckpoint.save(DpoBatchTrainerTest.tinyModel(), dir, null);
        }
        return dir;
    }

    private Path pairs(String name, List<PreferencePair> pairs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (PreferencePair p : pairs) {
            sb.append(JSON.writeValueAsString(Map.of("prompt_ids", p.prompt(), "chosen_ids", p.chosen(),
                    "rejected_ids", p.rejected()))).append('\n');
        }
        Path f = tmp.resolve(name);
        Files.writeString(f, sb.toString());
        return f;
    }

    /** Unpaired rows: each pair's chosen completion desirable, its rejected one undesirable (alternating). */
    private Path unpaired(String name, List<PreferencePair> pairs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pairs.size(); i++) {
            PreferencePair p = pairs.get(i);
            boolean good = i % 2 == 0;
            sb.append(JSON.writeValueAsString(Map.of("prompt_ids", p.prompt(), "completion_ids",
                    good ? p.chosen() : p.rejected(), "label", good))).append('\n');
        }
        Path f = tmp.resolve(name);
        Files.writeString(f, sb.toString());
        return f;
    }

    private List<String> common(String run, Path train, Path eval) {
        return new ArrayList<>(List.of("model_name_or_path=" + model(), "train_file=" + train, "eval_file=" + eval,
                "output_dir=" + tmp.resolve(run), "batch_size=4", "gradient_accumulation_steps=2", "max_steps=8",
                "save_steps=4", "logging_steps=2", "eval_steps=4", "learning_rate=1e-2"));
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS))) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    private static void assertKeys(JsonNode row, List<String> keys) {
        for (String k : keys) {
            assertTrue(row.has(k), "metric " + k + " in " + row);
        }
    }

    @Test
    void orpoLearnsThePreferenceAndResumesExactly() throws IOException {
        List<String> sets = common("orpo", pairs("train.jsonl", SyntheticPreferences.generate(48, 1)),
                pairs("eval.jsonl", SyntheticPreferences.generate(16, 2)));
        sets.add("beta=0.5");
        OrpoConfig c = ConfigLoader.load(null, OrpoConfig.class, sets);
        PreferenceTrainer.Result full = new OrpoTrainer(c, false, QUIET).train();
        List<JsonNode> rows = metrics(full.runDir());
        assertKeys(rows.get(0), List.of("loss", "nll_loss", "log_odds_ratio", "log_odds_chosen", "rewards/chosen",
                "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
                "learning_rate", "grad_norm", "epoch"));
        double firstNll = rows.get(0).get("nll_loss").asDouble();
        double lastNll = rows.get(rows.size() - 1).get("nll_loss").asDouble();
        assertTrue(lastNll < firstNll, "the chosen completions' NLL fell from " + firstNll + " to " + lastNll);
        assertTrue(((Number) full.eval().get("eval_log_odds_chosen")).doubleValue() > 0,
                "chosen completions have the higher odds on held-out pairs: " + full.eval());
        Map<String, INDArray> expected = HfCheckpoint.load(full.finalModel()).weights();
        AtomicFiles.deleteRecursively(full.finalModel());
        PreferenceTrainer.Result resumed = new OrpoTrainer(c, true, QUIET).train();
        CausalLM again = HfCheckpoint.load(resumed.finalModel());
        expected.forEach((name, w) -> assertArrayEquals(w.ravel().toFloatVector(),
                again.weights().get(name).ravel().toFloatVector(), 1e-6f, name));
    }

    @Test
    void simpoLearnsThePreference() throws IOException {
        List<String> sets = common("simpo", pairs("train.jsonl", SyntheticPreferences.generate(48, 1)),
                pairs("eval.jsonl", SyntheticPreferences.generate(16, 2)));
        sets.add("cpo_alpha=0.1");
        SimpoConfig c = ConfigLoader.load(null, SimpoConfig.class, sets);
        PreferenceTrainer.Result r = new SimpoTrainer(c, false, QUIET).train();
        List<JsonNode> rows = metrics(r.runDir());
        assertKeys(rows.get(0), List.of("loss", "nll_loss", "rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected"));
        double first = rows.get(0).get("rewards/margins").asDouble();
        double last = rows.get(rows.size() - 1).get("rewards/margins").asDouble();
        assertTrue(last > first, "the reward margin rose from " + first + " to " + last);
        assertTrue(((Number) r.eval().get("eval_rewards/accuracies")).doubleValue() > 0.6, r.eval().toString());
    }

    @Test
    void ktoLearnsFromUnpairedLabels() throws IOException {
        List<String> sets = common("kto", unpaired("train.jsonl", SyntheticPreferences.generate(64, 1)),
                pairs("eval.jsonl", SyntheticPreferences.generate(16, 2)));
        sets.add("beta=0.5");
        KtoConfig c = ConfigLoader.load(null, KtoConfig.class, sets);
        PreferenceTrainer.Result r = new KtoTrainer(c, false, QUIET).train();
        List<JsonNode> rows = metrics(r.runDir());
        assertKeys(rows.get(0), List.of("loss", "kl", "rewards/chosen", "rewards/rejected", "rewards/margins",
                "logps/chosen", "logps/rejected"));
        assertEquals(0.0, rows.get(0).get("kl").asDouble(), 0.05, "the policy starts at the reference");
        // the eval file holds preference pairs, each a desirable and an undesirable example: at the start (policy =
        // reference) every reward is 0; after training the desirable completions have the higher implicit reward
        assertTrue(((Number) r.eval().get("eval_rewards/margins")).doubleValue() > 0, r.eval().toString());
        assertTrue(((Number) r.eval().get("eval_rewards/chosen")).doubleValue() > 0, r.eval().toString());
    }

    @Test
    void badKtoLabelsAndLossTypesAreNamed() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt_ids\": [1, 3], \"completion_ids\": [4], \"label\": true}\n"
                + "{\"prompt_ids\": [1, 3], \"completion_ids\": [4], \"label\": \"yes\"}\n");
        KtoConfig c = ConfigLoader.load(null, KtoConfig.class, common("bad", bad, bad));
        BadInputException e = assertThrows(BadInputException.class, () -> new KtoTrainer(c, false, QUIET).train());
        assertEquals(bad + ":2: 'label' must be true (desirable) or false (undesirable)", e.getMessage());
        e = assertThrows(BadInputException.class, () -> ConfigLoader.load(null, SimpoConfig.class,
                List.of("model_name_or_path=m", "train_file=t", "loss_type=robust")));
        assertTrue(e.getMessage().contains("unknown loss_type 'robust' (known: simpo, sigmoid, hinge, ipo)"),
                e.getMessage());
        e = assertThrows(BadInputException.class, () -> ConfigLoader.load(null, KtoConfig.class,
                List.of("model_name_or_path=m", "train_file=t", "loss_type=sigmoid")));
        assertTrue(e.getMessage().contains("(known: kto, apo_zero_unpaired)"), e.getMessage());
    }
}
