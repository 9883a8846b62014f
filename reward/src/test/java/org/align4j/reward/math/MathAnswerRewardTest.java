package org.align4j.reward.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.reward.RewardInput;
import org.junit.jupiter.api.Test;

class MathAnswerRewardTest {

    private final MathAnswerReward reward = new MathAnswerReward();

    private double score(String completion, Object answer) {
        return reward.score(List.of(RewardInput.ofText("q", completion, Map.of("answer", answer)))).get(0);
    }

    @Test
    void demoSolutionIsCorrect() {
        String completion = "Tom has 3 apples and buys 5 more. 3 + 5 = 8.\nHe gives away 2. 8 - 2 = 6.\n#### 6";
        assertEquals(1.0, score(completion, "6"));
        assertEquals(0.0, score(completion, "7"));
    }

    @Test
    void comparesAsNumbers() {
        assertEquals(1.0, score("\\boxed{0.50}", "1/2"));
        assertEquals(1.0, score("\\boxed{\\dfrac{1}{2}}", 0.5));
        assertEquals(1.0, score("#### 1,234", 1234));
        assertEquals(1.0, score("The answer is -3.", "-3"));
        assertEquals(1.0, score("The answer is 18 dollars.", new BigDecimal("18.00")));
        assertEquals(1.0, score("\\boxed{0.3}", 0.3));
        assertEquals(0.0, score("\\boxed{0.333}", "1/3"));
        assertEquals(0.0, score("\\boxed{-6}", 6));
    }

    @Test
    void gsm8kReferenceSolutionIsReducedToItsAnswer() {
        assertEquals(1.0, score("#### 72", "Natalia sold 48/2 = 24 clips in May.\n48+24 = 72\n#### 72"));
    }

    @Test
    void nonNumericAnswersCompareAsText() {
        assertEquals(1.0, score("\\boxed{x  +  1}", "x + 1"));
        assertEquals(0.0, score("\\boxed{x + 2}", "x + 1"));
        assertEquals(0.0, score("\\boxed{7}", "seven"));
    }

    @Test
    void noMarkerScoresZero() {
        assertEquals(0.0, score("it is 6", "6"));
    }

    @Test
    void abstainsWithoutReferenceAndHonoursAnswerKey() {
        List<RewardInput> batch = List.of(
                RewardInput.ofText("q", "#### 6", Map.of()),
                RewardInput.ofText("q", "#### 6", Map.of("solution", 6)));
        assertEquals(Arrays.asList(null, null), reward.score(batch));
        MathAnswerReward keyed = new MathAnswerReward(Map.of("answer_key", "solution"));
        assertEquals(Arrays.asList(null, 1.0), keyed.score(batch));
    }

    @Test
    void unknownConfigKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MathAnswerReward(Map.of("anwser_key", "x")));
        assertTrue(e.getMessage().contains("math_answer") && e.getMessage().contains("'anwser_key'"), e.getMessage());
    }

    @Test
    void sameAnswerIsStrictAboutNumbers() {
        assertTrue(MathAnswerReward.sameAnswer("1,000", "1000"));
        assertFalse(MathAnswerReward.sameAnswer("100", "1000"));
    }
}
