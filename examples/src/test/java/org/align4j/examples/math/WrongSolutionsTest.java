package org.align4j.examples.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.align4j.examples.io.Jsonl;
import org.align4j.policy.train.Rng;
import org.junit.jupiter.api.Test;

class WrongSolutionsTest {

    private static final List<MathProblem> PROBLEMS = new java.util.ArrayList<>();

    static {
        for (Difficulty d : Difficulty.values()) {
            PROBLEMS.addAll(MathWordProblems.generate(400, d, 21));
        }
    }

    /**
     * Checks from the text alone that wrong differs from right exactly as intended: identical lines before
     * wrongLine; if wrongLine is a step, its claim is false and every later claim is true and uses the carried
     * results, and the answer line repeats the last result; if it is the answer line, all claims are true and
     * only the answer differs.
     */
    static void assertExactlyOneIntendedError(MathProblem p, String wrong, int wrongLine) {
        String[] right = p.completion().split("\n", -1);
        String[] bad = wrong.split("\n", -1);
        assertEquals(right.length, bad.length, wrong);
        for (int i = 0; i < wrongLine; i++) {
            assertEquals(right[i], bad[i], "line " + i + " before the error must be unchanged");
        }
        List<Claims.Claim> claims = Claims.of(wrong);
        String answer = Claims.finalAnswer(wrong);
        assertNotEquals(p.answer(), answer, wrong);
        for (int i = 0; i < claims.size(); i++) {
            assertEquals(i != wrongLine, claims.get(i).holds(), "line " + i + " of\n" + wrong);
        }
        if (wrongLine < claims.size()) {
            assertNotEquals(right[wrongLine], bad[wrongLine]);
            assertEquals(Long.toString(claims.get(claims.size() - 1).c()), answer, "the error reaches the answer");
        } else {
            assertEquals(wrongLine, right.length - 1);
            assertEquals(String.join("\n", List.of(right).subList(0, wrongLine)),
                    String.join("\n", List.of(bad).subList(0, wrongLine)));
        }
    }

    @Test
    void everyWrongSolutionHasExactlyTheIntendedError() {
        Rng rng = new Rng(5);
        int finalLineOnly = 0;
        int notLastStep = 0;
        for (MathProblem p : PROBLEMS) {
            WrongSolutions.Wrong w = WrongSolutions.of(p.solution(), rng);
            assertExactlyOneIntendedError(p, w.completion(), w.wrongLine());
            assertEquals(Long.toString(w.answer()), Claims.finalAnswer(w.completion()));
            finalLineOnly += w.wrongLine() == p.steps() ? 1 : 0;
            notLastStep += w.wrongLine() < p.steps() - 1 ? 1 : 0;
        }
        // both kinds occur, and errors in early steps are carried, not only slips in the last line
        assertTrue(finalLineOnly > 100 && finalLineOnly < 400, "final-line errors: " + finalLineOnly);
        assertTrue(notLastStep > 300, "errors before the last step: " + notLastStep);
    }

    @Test
    void anEarlySlipIsCarriedToTheAnswer() {
        Solution s = new Solution(List.of(
                new Step(new Step.Given(3), '*', new Step.Given(12), "Tom has {claim} pencils."),
                new Step(new Step.Result(0), '-', new Step.Given(7), "After giving away 7 he has {claim}.")));
        long[] carried = s.valuesWith(0, 39);
        assertEquals("Tom has 3 * 12 = 39 pencils.\nAfter giving away 7 he has 39 - 7 = 32.\n#### 32",
                s.render(carried, carried[1]));
        // a slip that would make a later division inexact is not a valid carried error
        Solution div = new Solution(List.of(
                new Step(new Step.Given(4), '*', new Step.Given(6), "{claim}"),
                new Step(new Step.Result(0), '/', new Step.Given(8), "{claim}")));
        assertEquals(null, div.valuesWith(0, 25));
    }

    @Test
    void preferencePairsPairTheRightSolutionWithAWrongOne() {
        List<MathProblem> some = PROBLEMS.subList(0, 300);
        List<TextPreferencePair> pairs = PreferencePairs.from(some, 9);
        assertEquals(pairs, PreferencePairs.from(some, 9));
        assertEquals(some.size(), pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            MathProblem p = some.get(i);
            TextPreferencePair pair = pairs.get(i);
            assertEquals(p.prompt(), pair.prompt());
            assertEquals(p.completion(), pair.chosen());
            assertExactlyOneIntendedError(p, pair.rejected(), firstDifferentLine(pair.chosen(), pair.rejected()));
        }
        assertEquals("{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}",
                Jsonl.line(new TextPreferencePair("p", "c", "r")));
    }

    @Test
    void processLabelsMarkTheLinesFromTheErrorOn() {
        List<MathProblem> some = PROBLEMS.subList(0, 400);
        List<StepLabeledSolution> rows = ProcessLabels.from(some, 0.25, 4);
        assertEquals(rows, ProcessLabels.from(some, 0.25, 4));
        int correct = 0;
        for (int i = 0; i < rows.size(); i++) {
            MathProblem p = some.get(i);
            StepLabeledSolution row = rows.get(i);
            assertEquals(p.prompt(), row.prompt());
            List<Integer> labels = row.stepLabels();
            assertEquals(p.steps() + 1, labels.size());
            int firstZero = labels.indexOf(0);
            if (firstZero < 0) {
                correct++;
                assertEquals(p.completion(), row.completion());
                continue;
            }
            for (int j = 0; j < labels.size(); j++) {
                assertEquals(j < firstZero ? 1 : 0, labels.get(j), "labels are 1s then 0s: " + labels);
            }
            assertExactlyOneIntendedError(p, row.completion(), firstZero);
        }
        assertTrue(correct > 50 && correct < 150, "correct rows: " + correct + " of 400 at share 0.25");
        assertEquals("{\"prompt\":\"p\",\"completion\":\"a\\n#### 1\",\"step_labels\":[1,0]}",
                Jsonl.line(new StepLabeledSolution("p", "a\n#### 1", List.of(1, 0))));
    }

    private static int firstDifferentLine(String a, String b) {
        String[] x = a.split("\n", -1);
        String[] y = b.split("\n", -1);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (!x[i].equals(y[i])) {
                return i;
            }
        }
        throw new AssertionError("no line differs:\n" + a);
    }
}
