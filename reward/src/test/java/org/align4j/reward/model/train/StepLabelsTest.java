package org.align4j.reward.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.Map;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.junit.jupiter.api.Test;

class StepLabelsTest {

    private static int[] labels(String completion, Object answer) {
        try (ProcessReward checker = RewardFactory.process(Map.of("type", "math_steps"))) {
            StepRewards s = checker.score(List.of(RewardInput.ofText("q", completion, Map.of("answer", answer)))).get(0);
            return StepLabels.prefixLabels(completion, s);
        }
    }

    @Test
    void everythingAfterTheFirstMistakeIsWrong() {
        assertArrayEquals(new int[] {1, 1, 1, 1}, labels("2 + 3 = 5\nso then\n5 * 2 = 10\n#### 10", 10));
        assertArrayEquals(new int[] {1, 1, 0, 0}, labels("2 + 3 = 5\nso then\n5 * 2 = 11\n#### 11", 11));
        assertArrayEquals(new int[] {1, 1, 1, 0}, labels("2 + 3 = 5\nso then\n5 * 2 = 10\n#### 12", 10));
        assertArrayEquals(new int[] {0, 0}, labels("2 + 3 = 6\n#### 6", 6));
    }
}
