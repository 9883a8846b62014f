package org.align4j.reward.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FinalAnswerTest {

    private static String extract(String completion) {
        return FinalAnswer.extract(completion).map(FinalAnswer::text).orElse(null);
    }

    @Test
    void boxedWithNestedBraces() {
        assertEquals("\\frac{3}{4}", extract("So we get \\boxed{\\frac{3}{4}}."));
        assertEquals("{a}{b}", extract("\\boxed{{a}{b}}"));
        assertEquals("7", extract("first \\boxed{5}, corrected: \\boxed{7}"));
    }

    @Test
    void unbalancedBoxIsNoAnswer() {
        assertEquals(null, extract("\\boxed{\\frac{3}{4}"));
    }

    @Test
    void gsm8kHashes() {
        assertEquals("6", extract("3 + 5 = 8.\n8 - 2 = 6.\n#### 6"));
        assertEquals("1,000", extract("#### 1,000\n"));
    }

    @Test
    void theAnswerIs() {
        assertEquals("42", extract("So the answer is 42"));
        assertEquals("3.5.", extract("The final answer is 3.5."));
        assertEquals("$1,000", extract("The answer is $1,000. Hope this helps."));
        assertEquals("12", extract("Thus, the answer is: 12"));
    }

    @Test
    void boxedWinsOverOtherMarkers() {
        assertEquals("9", extract("The answer is 8.\n\\boxed{9}"));
        assertEquals("5", extract("The answer is \\boxed{5}."));
    }

    @Test
    void answerIsWrappingABoxIsOneMarker() {
        List<FinalAnswer> all = FinalAnswer.findAll("Reasoning. The answer is \\boxed{5}.");
        assertEquals(1, all.size());
        assertEquals(FinalAnswer.Marker.BOXED, all.get(0).marker());
    }

    @Test
    void noMarker() {
        assertTrue(FinalAnswer.extract("I think it is 6").isEmpty());
    }
}
