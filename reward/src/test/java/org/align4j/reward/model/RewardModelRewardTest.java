package org.align4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class RewardModelRewardTest {

    private static Path saved(Path dir, RewardModelKind kind) {
        RewardModel m = RewardModel.create(TestRewardModels.tinyTrunk(DataType.FLOAT, 4), kind, 5);
        m.head().parameters().get(0).value().muli(50); // scores far enough from 0 to tell apart
        Path out = dir.resolve(kind.key());
        m.save(out, TestRewardModels.tokenizerDir());
        return out;
    }

    @Test
    void outcomeRewardIsTheModelScoreAtTheLastToken(@TempDir Path dir) {
        Path path = saved(dir, RewardModelKind.ORM);
        RewardModel model = RewardModel.load(path);
        RewardEncoder enc = new RewardEncoder(TestRewardModels.tokenizer(), 64);
        List<RewardInput> batch = List.of(RewardInput.ofText("1+2=", "3\n#### 3", Map.of()),
                RewardInput.ofText("4+4=", "8", Map.of()), RewardInput.ofText("9+9=", "", Map.of()));
        try (OutcomeReward logit = RewardFactory.outcome(Map.of("type", "reward_model", "path", path.toString()));
             OutcomeReward prob = RewardFactory.outcome(Map.of("type", "reward_model", "path", path.toString(),
                     "output", "probability"))) {
            List<Double> s = logit.score(batch);
            List<Double> p = prob.score(batch);
            for (int i = 0; i < batch.size(); i++) {
                RewardEncoder.Encoded e = enc.encode(batch.get(i).prompt(), batch.get(i).completion());
                double expected = model.score(List.of(e.ids()), new int[][] {{e.lastPosition()}})[0][0];
                assertEquals(expected, s.get(i), 1e-5);
                assertEquals(RewardModel.sigmoid(expected), p.get(i), 1e-6);
            }
            assertTrue(Math.abs(s.get(0) - s.get(1)) > 1e-4, "different completions score differently: " + s);
        }
    }

    @Test
    void processRewardGivesAStepProbabilityAtEachLineEnd(@TempDir Path dir) {
        Path path = saved(dir, RewardModelKind.PRM);
        String completion = "12\n\n3\n#### 3";
        // the caller's own tokens: "12\n" "\n3\n" "#### 3"
        int[] ids = {1, 2, 3};
        int[] ends = {3, 6, completion.length()};
        RewardInput in = new RewardInput("1+2=", completion, ids, ends, Map.of());
        try (ProcessReward prm = RewardFactory.process(Map.of("type", "process_reward_model", "path", path.toString()))) {
            StepRewards s = prm.score(List.of(in, RewardInput.ofText("1+1=", "", Map.of()))).get(0);
            assertEquals(3, s.size());
            assertEquals(List.of(0, 1, 2), List.of(s.endToken(0), s.endToken(1), s.endToken(2)));
            assertEquals(List.of(2, 5, completion.length()), List.of(s.endChar(0), s.endChar(1), s.endChar(2)));
            for (double r : s.rewards()) {
                assertTrue(r > 0 && r < 1, "a probability: " + r);
            }
        }
    }

    @Test
    void theWrongKindOfModelIsRefusedNamingTheRightType(@TempDir Path dir) {
        Path path = saved(dir, RewardModelKind.PRM);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RewardFactory.outcome(Map.of("type", "reward_model", "path", path.toString())));
        assertTrue(e.getMessage().contains("process_reward_model"), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> RewardFactory.outcome(Map.of("type", "reward_model")));
        assertTrue(missing.getMessage().contains("'path'"), missing.getMessage());
    }
}
