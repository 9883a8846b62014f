package org.align4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardInputTest {

    @Test
    void charEndMapsToTheTokenHoldingTheLastCharacter() {
        // tokens: "ab" [0,2) "c\n" [2,4) "de" [4,6)
        RewardInput in = new RewardInput("p", "abc\nde", new int[] {1, 2, 3}, new int[] {2, 4, 6}, Map.of());
        assertEquals(0, in.tokenIndexEndingAt(1));
        assertEquals(0, in.tokenIndexEndingAt(2));
        assertEquals(1, in.tokenIndexEndingAt(3));
        assertEquals(2, in.tokenIndexEndingAt(6));
        assertEquals(2, in.tokenIndexEndingAt(99));
    }

    @Test
    void withoutOffsetsTheTokenIsUnknown() {
        assertEquals(-1, RewardInput.ofText("p", "abc", Map.of()).tokenIndexEndingAt(2));
    }

    @Test
    void offsetsMustMatchIds() {
        assertThrows(IllegalArgumentException.class,
                () -> new RewardInput("p", "abc", new int[] {1, 2}, new int[] {3}, Map.of()));
    }

    @Test
    void stepsAreNonBlankLinesWithSpans() {
        String text = "one\r\n\n  \ntwo\nthree";
        List<ReasoningSteps.Step> steps = ReasoningSteps.split(text);
        assertEquals(List.of("one", "two", "three"), steps.stream().map(ReasoningSteps.Step::text).toList());
        assertEquals(3, steps.get(0).end());
        assertEquals(text.indexOf("two"), steps.get(1).start());
        assertEquals(text.length(), steps.get(2).end());
    }
}
