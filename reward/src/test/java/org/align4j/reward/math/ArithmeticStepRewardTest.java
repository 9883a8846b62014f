package org.align4j.reward.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.junit.jupiter.api.Test;

class ArithmeticStepRewardTest {

    private static final String DEMO = "Tom has 3 apples and buys 5 more. 3 + 5 = 8.\nHe gives away 2. 8 - 2 = 6.\n#### 6";

    private final ArithmeticStepReward reward = new ArithmeticStepReward();

    private StepRewards score(RewardInput input) {
        return reward.score(List.of(input)).get(0);
    }

    @Test
    void everyStepOfTheDemoIsRight() {
        StepRewards steps = score(RewardInput.ofText("q", DEMO, Map.of("answer", "6")));
        assertArrayEquals(new double[] {1, 1, 1}, steps.rewards());
        assertEquals(DEMO.indexOf('\n'), steps.endChar(0));
        assertEquals(DEMO.length(), steps.endChar(2));
    }

    @Test
    void aWrongIntermediateStepAndAWrongAnswer() {
        String wrong = "3 + 5 = 9.\n9 - 2 = 7.\n#### 7";
        assertArrayEquals(new double[] {0, 1, 0}, score(RewardInput.ofText("q", wrong, Map.of("answer", 6))).rewards());
    }

    @Test
    void lastStepNeedsTheMarkerWhenThereIsAReference() {
        String noMarker = "3 + 5 = 8.\n8 - 2 = 6.";
        assertArrayEquals(new double[] {1, 0}, score(RewardInput.ofText("q", noMarker, Map.of("answer", 6))).rewards());
        assertArrayEquals(new double[] {1, 1}, score(RewardInput.ofText("q", noMarker, Map.of())).rewards());
    }

    @Test
    void linesWithoutArithmeticAreNotSteps() {
        String text = "Let us think.\n3 + 5 = 8.\nThat is the total.\n#### 8";
        StepRewards steps = score(RewardInput.ofText("q", text, Map.of("answer", 8)));
        assertArrayEquals(new double[] {1, 1}, steps.rewards());
        assertEquals(text.indexOf("8.\n") + 2, steps.endChar(0));
    }

    @Test
    void stepEndsMapToTokens() {
        // One token per line plus one per newline: "3 + 5 = 8." | "\n" | "#### 8"
        String text = "3 + 5 = 8.\n#### 8";
        int[] ids = {11, 12, 13};
        int[] ends = {10, 11, text.length()};
        StepRewards steps = score(new RewardInput("q", text, ids, ends, Map.of("answer", 8)));
        assertArrayEquals(new int[] {0, 2}, steps.endTokens());
        assertArrayEquals(new int[] {-1, -1}, score(RewardInput.ofText("q", text, Map.of("answer", 8))).endTokens());
    }
}
