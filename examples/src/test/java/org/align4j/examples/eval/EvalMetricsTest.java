package org.align4j.examples.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.align4j.examples.io.Jsonl;
import org.junit.jupiter.api.Test;

class EvalMetricsTest {

    /** pass@k by definition: the share of all k-subsets of the n samples that hold a correct one. */
    private static double bruteForcePassAtK(boolean[] correct, int k) {
        int n = correct.length;
        int subsets = 0;
        int hit = 0;
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) != k) {
                continue;
            }
            subsets++;
            for (int i = 0; i < n; i++) {
                if ((mask >> i & 1) == 1 && correct[i]) {
                    hit++;
                    break;
                }
            }
        }
        return (double) hit / subsets;
    }

    @Test
    void passAtKMatchesEnumerationOfAllSubsets() {
        for (int n = 1; n <= 10; n++) {
            for (int c = 0; c <= n; c++) {
                boolean[] correct = new boolean[n];
                Arrays.fill(correct, 0, c, true);
                for (int k = 1; k <= n; k++) {
                    assertEquals(bruteForcePassAtK(correct, k), EvalMetrics.passAtK(n, c, k), 1e-12,
                            "n=" + n + " c=" + c + " k=" + k);
                }
            }
        }
        assertEquals(0.3, EvalMetrics.passAtK(10, 3, 1), 1e-15); // pass@1 is c/n
    }

    @Test
    void passAtKStaysFiniteWhereBinomialsWouldOverflow() {
        double p = EvalMetrics.passAtK(2000, 1, 64);
        assertEquals(64.0 / 2000, p, 1e-12); // one correct sample: k/n
        assertTrue(EvalMetrics.passAtK(5000, 300, 1000) <= 1.0);
        assertThrows(IllegalArgumentException.class, () -> EvalMetrics.passAtK(4, 2, 5));
    }

    @Test
    void majorityVoteGroupsNumbersSkipsMissingAnswersAndBreaksTiesByFirstAppearance() {
        assertEquals("29", EvalMetrics.majorityVote(Arrays.asList("29", "30", "29.0", null, "30", "58/2")));
        // 29 and 30 tie with two votes each; 30 appears first
        assertEquals("30", EvalMetrics.majorityVote(Arrays.asList(null, "30", "29", "29.00", "30.")));
        // three samples without an answer do not outvote one with an answer
        assertEquals("7", EvalMetrics.majorityVote(Arrays.asList(null, null, "7", null)));
        assertNull(EvalMetrics.majorityVote(Arrays.asList(null, " ", null)));
        assertEquals("1,000", EvalMetrics.majorityVote(List.of("1,000", "999", "1000")));
    }

    @Test
    void evaluateAveragesGreedyMajorityAndPassAtK() {
        List<ProblemOutcome> outcomes = List.of(
                // greedy right; votes 29 x2 vs 28: right; 2 of 4 correct
                new ProblemOutcome("29", "29.0", Arrays.asList("29", "28", "29", null),
                        List.of(true, false, true, false)),
                // greedy missing; first k=3 vote 5 (tie 5/6 broken by first appearance): wrong; 1 of 4 correct
                new ProblemOutcome("6", null, Arrays.asList("5", "6", null, "6"),
                        List.of(false, true, false, false)),
                // nothing right
                new ProblemOutcome("10", "11", Arrays.asList("12", "13", "12", "12"),
                        List.of(false, false, false, false)));
        EvalReport r = EvalMetrics.evaluate(outcomes, 3);
        assertEquals(1.0 / 3, r.pass1(), 1e-12);
        assertEquals(1.0 / 3, r.majAtK(), 1e-12);
        assertEquals((1.0 + 0.75 + 0.0) / 3, r.passAtK(), 1e-12); // pass@3 for (4,2) = 1, for (4,1) = 3/4
        assertEquals(3, r.k());
        assertEquals(3, r.nProblems());
        assertEquals("{\"pass@1\":" + r.pass1() + ",\"maj@k\":" + r.majAtK() + ",\"pass@k\":" + r.passAtK()
                + ",\"k\":3,\"n_problems\":3}", Jsonl.line(r));
    }

    @Test
    void inconsistentInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvalMetrics.evaluate(
                List.of(new ProblemOutcome("1", "1", List.of("1", "1"), List.of(true, true)),
                        new ProblemOutcome("1", "1", List.of("1"), List.of(true))), 2));
        assertEquals("problem 1: 1 samples, fewer than k = 2", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ProblemOutcome("1", "1", List.of("1"), List.of(true, false)));
    }

    @Test
    void answersCompareAsNumbers() {
        assertTrue(AnswerMatch.equivalent("29", " 29.0 "));
        assertTrue(AnswerMatch.equivalent("-0", "0.00"));
        assertTrue(AnswerMatch.equivalent("+5", "5"));
        assertFalse(AnswerMatch.equivalent("29", "290"));
        assertFalse(AnswerMatch.equivalent(null, null));
        assertTrue(AnswerMatch.equivalent("58/2", "29"));
        assertEquals(AnswerMatch.canonical("29"), AnswerMatch.canonical("29.0"));
        assertEquals("text:1e999999999", AnswerMatch.canonical("1e999999999")); // text, not expanded
        assertFalse(AnswerMatch.equivalent(" ", "0"));
    }
}
