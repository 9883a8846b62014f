package org.align4j.reward.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.model.RewardModel;
import org.align4j.reward.model.RewardModelKind;
import org.align4j.reward.model.TestRewardModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardTrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static RewardConfig config(Path dir, String kind, Path train, Path eval) {
        Path init = dir.resolve("init.json");
        if (!Files.exists(init)) {
            AtomicFiles.writeJson(init, TestRewardModels.tinyConfig().toJson());
        }
        RewardConfig c = new RewardConfig();
        c.initConfig = init.toString();
        c.tokenizer = TestRewardModels.tokenizerDir().toString();
        c.kind = kind;
        c.trainFile = train.toString();
        c.evalFile = eval == null ? null : eval.toString();
        c.outputDir = dir.resolve("run").toString();
        c.learningRate = 1e-2;
        c.lrSchedulerType = "constant";
        c.weightDecay = 0;
        c.batchSize = 16;
        c.maxSteps = 120;
        c.loggingSteps = 10;
        c.saveSteps = 0;
        c.seed = 1;
        return c;
    }

    static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static RewardTrainer.Result train(RewardConfig c, boolean resume) {
        return new RewardTrainer(c, resume, new PrintStream(new ByteArrayOutputStream())).train();
    }

    @Test
    void outcomeModelLearnsASyntheticPreference(@TempDir Path dir) throws Exception {
        RewardConfig c = config(dir, "orm", SyntheticRewardData.preferences(dir.resolve("train.jsonl"), 400, 1),
                SyntheticRewardData.preferences(dir.resolve("eval.jsonl"), 200, 2));
        c.maxSteps = 80;
        RewardTrainer.Result r = train(c);
        assertTrue(r.evalAccuracy() > 0.85, "held-out pair accuracy " + r.evalAccuracy());
        assertTrue(r.evalAuc() > 0.85, "held-out AUC " + r.evalAuc());
        List<JsonNode> m = metrics(r.runDir());
        assertEquals(8, m.size());
        for (String key : List.of("loss", "accuracy", "auc", "learning_rate", "grad_norm", "epoch", "replay_share")) {
            assertTrue(m.get(0).has(key), key);
        }
        assertTrue(m.get(7).has("eval_auc"));
        assertTrue(m.get(7).get("loss").asDouble() < m.get(0).get("loss").asDouble());
        assertTrue(Files.isRegularFile(r.runDir().resolve("metrics.png")));
        assertEquals(RewardModelKind.ORM, RewardModel.load(r.finalModel()).kind());
    }

    private static RewardTrainer.Result train(RewardConfig c) {
        return train(c, false);
    }

    @Test
    void outcomeModelLearnsOutcomeLabels(@TempDir Path dir) throws Exception {
        RewardConfig c = config(dir, null, SyntheticRewardData.outcomes(dir.resolve("train.jsonl"), 300, 3),
                SyntheticRewardData.outcomes(dir.resolve("eval.jsonl"), 200, 4));
        c.maxSteps = 30;
        RewardTrainer.Result r = train(c);
        assertTrue(r.evalAccuracy() > 0.85, "held-out accuracy " + r.evalAccuracy());
    }

    @Test
    void processModelLearnsSyntheticStepLabels(@TempDir Path dir) throws Exception {
        RewardConfig c = config(dir, "prm", SyntheticRewardData.steps(dir.resolve("train.jsonl"), 400, 5),
                SyntheticRewardData.steps(dir.resolve("eval.jsonl"), 200, 6));
        c.maxSteps = 120;
        RewardTrainer.Result r = train(c);
        assertTrue(r.evalAccuracy() > 0.8, "held-out step accuracy " + r.evalAccuracy());
        assertTrue(r.evalAuc() > 0.85, "held-out step AUC " + r.evalAuc());
        assertEquals(RewardModelKind.PRM, RewardModel.load(r.finalModel()).kind());
    }

    @Test
    void resumeContinuesExactlyFromTheCheckpoint(@TempDir Path dir) throws Exception {
        Path train = SyntheticRewardData.preferences(dir.resolve("train.jsonl"), 100, 1);
        RewardConfig a = config(dir, "orm", train, null);
        a.maxSteps = 4;
        a.saveSteps = 3;
        a.loggingSteps = 1;
        train(a);
        RewardConfig b = config(dir, "orm", train, null);
        b.maxSteps = 6;
        b.loggingSteps = 1;
        train(b, true);
        RewardConfig straight = config(dir, "orm", train, null);
        straight.maxSteps = 6;
        straight.loggingSteps = 1;
        straight.outputDir = dir.resolve("straight").toString();
        train(straight);
        List<JsonNode> resumed = metrics(dir.resolve("run"));
        List<JsonNode> once = metrics(dir.resolve("straight"));
        assertEquals(6, resumed.size());
        for (int i = 0; i < 6; i++) {
            assertEquals(i + 1, resumed.get(i).get("step").asInt());
            assertEquals(once.get(i).get("loss").asDouble(), resumed.get(i).get("loss").asDouble(), 1e-6, "step " + (i + 1));
        }
        assertEquals(100, ReplayBuffer.open(dir.resolve("run/replay"), 10, 0).seen(), "the rows joined the buffer once");
    }

    @Test
    void retrainingMixesInTheConfiguredShareOfHistoricalRows(@TempDir Path dir) throws Exception {
        Path replay = dir.resolve("replay");
        RewardConfig first = config(dir, "orm", SyntheticRewardData.preferences(dir.resolve("a.jsonl"), 64, 1), null);
        first.maxSteps = 5;
        first.replayBuffer = replay.toString();
        RewardTrainer.Result r1 = train(first);
        assertEquals(0.0, metrics(r1.runDir()).get(0).get("replay_share").asDouble(), "nothing to replay at first");
        RewardConfig second = config(dir, null, SyntheticRewardData.preferences(dir.resolve("b.jsonl"), 48, 2), null);
        second.initConfig = null;
        second.modelNameOrPath = r1.finalModel().toString();
        second.tokenizer = null;
        second.outputDir = dir.resolve("run2").toString();
        second.replayBuffer = replay.toString();
        second.replayFraction = 0.25;
        second.maxSteps = 10;
        RewardTrainer.Result r2 = train(second);
        for (JsonNode m : metrics(r2.runDir())) {
            assertEquals(0.25, m.get("replay_share").asDouble(), 1e-12);
        }
        assertEquals(64, SyntheticRewardData.lines(r2.runDir().resolve(RewardTrainer.REPLAY_SNAPSHOT)).size());
        ReplayBuffer b = ReplayBuffer.open(replay, 1, 0);
        assertEquals(112, b.size());
        assertTrue(b.hasSource(r1.runDir().toAbsolutePath().normalize().toString()));
    }

    @Test
    void rowsOfTheWrongKindAreRefusedWithTheirLine(@TempDir Path dir) throws Exception {
        RewardConfig c = config(dir, "orm", SyntheticRewardData.steps(dir.resolve("steps.jsonl"), 3, 1), null);
        BadInputException e = assertThrows(BadInputException.class, () -> train(c));
        assertTrue(e.getMessage().startsWith(dir.resolve("steps.jsonl") + ":1: "), e.getMessage());
        assertTrue(e.getMessage().contains("prm"), e.getMessage());
    }
}
