package org.align4j.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PairBatchTest {

    private final List<PreferencePair> pairs = List.of(
            new PreferencePair(new int[] {1, 2}, new int[] {3, 4, 5}, new int[] {6}, "a:1"),
            new PreferencePair(new int[] {1, 2, 7}, new int[] {8}, new int[] {9, 10}, "a:2"));

    /** Token log-probs whose value encodes (row, t) so the sums show which entries were used. */
    private static double[][] fake(PairBatch b) {
        double[][] lp = new double[2 * b.size()][];
        for (int r = 0; r < lp.length; r++) {
            lp[r] = new double[b.tokens().length(r) - 1];
            for (int t = 0; t < lp[r].length; t++) {
                lp[r][t] = -(100 * r + t);
            }
        }
        return lp;
    }

    @Test
    void rowsAreChosenThenRejected() {
        PairBatch b = new PairBatch(pairs, false);
        assertEquals(4, b.tokens().size());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, b.tokens().row(0));
        assertArrayEquals(new int[] {1, 2, 7, 8}, b.tokens().row(1));
        assertArrayEquals(new int[] {1, 2, 6}, b.tokens().row(2));
        assertArrayEquals(new int[] {1, 2, 7, 9, 10}, b.tokens().row(3));
    }

    @Test
    void sequenceLogProbsCoverCompletionTokensOnly() {
        PairBatch b = new PairBatch(pairs, false);
        double[][] lp = fake(b);
        // row 0: completion tokens 3,4,5 are predicted at t = 1,2,3; row 1: token 8 at t = 2
        assertArrayEquals(new double[] {-(1 + 2 + 3), -102}, b.chosen(lp), 0);
        assertArrayEquals(new double[] {-201, -(302 + 303)}, b.rejected(lp), 0);
        PairBatch mean = new PairBatch(pairs, true);
        assertArrayEquals(new double[] {-2, -102}, mean.chosen(lp), 0);
        assertArrayEquals(new double[] {-201, -302.5}, mean.rejected(lp), 0);
    }

    @Test
    void gradientsLandOnCompletionTokens() {
        double[][] d = new PairBatch(pairs, false).spread(new double[] {1, 2}, new double[] {-3, -4});
        assertArrayEquals(new double[] {0, 1, 1, 1}, d[0], 0);
        assertArrayEquals(new double[] {0, 0, 2}, d[1], 0);
        assertArrayEquals(new double[] {0, -3}, d[2], 0);
        assertArrayEquals(new double[] {0, 0, -4, -4}, d[3], 0);
        double[][] m = new PairBatch(pairs, true).spread(new double[] {3, 2}, new double[] {-3, -4});
        assertArrayEquals(new double[] {0, 1, 1, 1}, m[0], 1e-15);
        assertArrayEquals(new double[] {0, 0, -2, -2}, m[3], 1e-15);
    }
}
