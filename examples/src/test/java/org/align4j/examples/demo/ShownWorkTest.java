package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.align4j.examples.eval.ProblemResult;
import org.junit.jupiter.api.Test;

class ShownWorkTest {

    @Test
    void aBareAnswerLineIsNotWorking() {
        assertFalse(ShownWork.showsWorking("#### 12"));
        assertFalse(ShownWork.showsWorking("  \n#### 12"));
        assertFalse(ShownWork.showsWorking(""));
        assertTrue(ShownWork.showsWorking("She has 3 + 9 = 12 apples.\n#### 12"));
        // text without an answer line still counts as writing something other than a bare answer
        assertTrue(ShownWork.showsWorking("She has 3 + 9"));
    }

    @Test
    void countsEachKindAndItsCorrectAnswers() {
        ShownWork w = ShownWork.of(List.of(
                row("#### 12", true), row("#### 11", false), row("#### 4", false),
                row("3 + 9 = 12\n#### 12", true), row("3 * 9 = 27\n#### 27", false)));
        assertEquals(new ShownWork(2, 1, 3, 1), w);
        assertEquals("2 of 5 greedy completions show working (50% right), 3 give a bare answer (33% right)",
                w.describe());
        assertEquals("0 of 0 greedy completions show working (- right), 0 give a bare answer (- right)",
                ShownWork.of(List.of()).describe());
    }

    private static ProblemResult row(String greedy, boolean correct) {
        return new ProblemResult("p", "q", "12", greedy, null, correct, List.of(), 0);
    }
}
