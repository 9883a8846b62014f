package org.align4j.reward.math;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MathFormatRewardTest {

    private final MathFormatReward any = new MathFormatReward();

    @Test
    void reasoningThenOneAnswerAtTheEnd() {
        assertTrue(any.follows("3 + 5 = 8.\n8 - 2 = 6.\n#### 6"));
        assertTrue(any.follows("3 + 5 = 8, so \\boxed{8}.\n"));
        assertTrue(any.follows("Adding gives 8. The answer is 8."));
        assertTrue(any.follows("We add. The answer is \\boxed{8}."));
    }

    @Test
    void noReasoningFails() {
        assertFalse(any.follows("#### 6"));
        assertFalse(any.follows("  \\boxed{6}"));
    }

    @Test
    void twoAnswersFail() {
        assertFalse(any.follows("It is \\boxed{5}. No wait, \\boxed{6}"));
        assertFalse(any.follows("Adding. The answer is 8.\n#### 8"));
    }

    @Test
    void textAfterTheAnswerFails() {
        assertFalse(any.follows("Adding. \\boxed{8} and then some more words"));
        assertFalse(any.follows("Adding. The answer is 8. Let me know if you need more."));
    }

    @Test
    void missingOrEmptyAnswerFails() {
        assertFalse(any.follows("Adding gives 8."));
        assertFalse(any.follows("Adding gives 8.\n####"));
    }

    @Test
    void markerKindCanBeRequired() {
        MathFormatReward hashes = new MathFormatReward(Map.of("marker", "hashes"));
        assertTrue(hashes.follows("3 + 5 = 8.\n#### 8"));
        assertFalse(hashes.follows("3 + 5 = 8, so \\boxed{8}"));
    }

    @Test
    void minimumReasoningLength() {
        MathFormatReward longer = new MathFormatReward(Map.of("min_reasoning_chars", 20));
        assertFalse(longer.follows("So.\n#### 8"));
        assertTrue(longer.follows("Three plus five makes eight in total.\n#### 8"));
    }
}
