package org.align4j.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.align4j.dpo.loss.PreferenceLosses;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DpoLossTest {

    private static double[] gaussian(Random r, int n, double scale, double shift) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = shift + scale * r.nextGaussian();
        }
        return a;
    }

    @ParameterizedTest
    @CsvSource({"sigmoid,0.1,0", "sigmoid,0.5,0.2", "hinge,0.1,0", "hinge,2.0,0", "ipo,0.1,0", "ipo,0.7,0",
            "robust,0.1,0.2", "exo_pair,0.5,0.001", "apo_down,0.3,0", "nca_pair,0.2,0"})
    void gradientMatchesFiniteDifferences(String type, double beta, double smoothing) {
        DpoLoss loss = new DpoLoss(PreferenceLosses.get(type), beta, smoothing);
        Random r = new Random(3);
        int n = 5;
        int total = 8;
        double[] c = gaussian(r, n, 3, -20);
        double[] l = gaussian(r, n, 3, -20);
        double[] rc = gaussian(r, n, 3, -20);
        double[] rl = gaussian(r, n, 3, -20);
        DpoLoss.Result res = loss.compute(c, l, rc, rl, total);
        double h = 1e-6;
        for (int i = 0; i < n; i++) {
            for (double[] x : new double[][] {c, l}) {
                double orig = x[i];
                x[i] = orig + h;
                double up = loss.compute(c, l, rc, rl, total).loss;
                x[i] = orig - h;
                double down = loss.compute(c, l, rc, rl, total).loss;
                x[i] = orig;
                double numeric = (up - down) / (2 * h);
                double analytic = x == c ? res.dChosen[i] : res.dRejected[i];
                assertEquals(numeric, analytic, 1e-7 * Math.max(1, Math.abs(numeric)),
                        type + " pair " + i + (x == c ? " chosen" : " rejected"));
            }
        }
    }

    @Test
    void sigmoidLossIsLog2WhenPolicyEqualsReference() {
        double[] c = {-12.5, -3.0, -40.0};
        double[] l = {-9.0, -7.5, -1.0};
        for (double smoothing : new double[] {0, 0.1, 0.3}) {
            DpoLoss.Result r = new DpoLoss(PreferenceLosses.get("sigmoid"), 0.1, smoothing).compute(c, l, c, l, 3);
            assertEquals(Math.log(2), r.loss, 1e-12);
            assertArrayEquals(new double[3], r.chosenRewards, 0);
            assertArrayEquals(new double[3], r.rejectedRewards, 0);
        }
        // the other losses at z = 0: hinge 1, IPO (1 / 2beta)^2
        assertEquals(1.0, new DpoLoss(PreferenceLosses.get("hinge"), 0.1, 0).compute(c, l, c, l, 3).loss, 1e-12);
        assertEquals(25.0, new DpoLoss(PreferenceLosses.get("ipo"), 0.1, 0).compute(c, l, c, l, 3).loss, 1e-12);
    }

    @Test
    void rewardsAreBetaTimesLogRatiosAndLossIsAMeanOverTheOptimizerBatch() {
        DpoLoss loss = new DpoLoss(PreferenceLosses.get("sigmoid"), 0.5, 0);
        DpoLoss.Result r = loss.compute(new double[] {-2, -4}, new double[] {-6, -1}, new double[] {-3, -4},
                new double[] {-5, -3}, 4);
        assertArrayEquals(new double[] {0.5, 0.0}, r.chosenRewards, 1e-12);
        assertArrayEquals(new double[] {-0.5, 1.0}, r.rejectedRewards, 1e-12);
        // z = 2 and -2: pair losses softplus(-1) and softplus(1), scaled by 1/4
        assertEquals(Math.log1p(Math.exp(-1)), r.pairLoss[0], 1e-12);
        assertEquals(Math.log1p(Math.exp(1)), r.pairLoss[1], 1e-12);
        assertEquals((r.pairLoss[0] + r.pairLoss[1]) / 4, r.loss, 1e-12);
    }

    @Test
    void extremeMarginsStayFinite() {
        DpoLoss loss = new DpoLoss(PreferenceLosses.get("sigmoid"), 1.0, 0);
        DpoLoss.Result r = loss.compute(new double[] {0, -5000}, new double[] {-5000, 0}, new double[] {0, 0},
                new double[] {0, 0}, 2);
        assertEquals(0.0, r.pairLoss[0], 1e-12);
        assertEquals(5000.0, r.pairLoss[1], 1e-9);
        assertEquals(0.0, r.dChosen[0], 1e-12);
        assertEquals(-0.5, r.dChosen[1], 1e-12);
        assertTrue(Double.isFinite(r.loss));
    }

    @Test
    void hingeIsFlatOnceTheMarginIsMet() {
        DpoLoss.Result r = new DpoLoss(PreferenceLosses.get("hinge"), 0.1, 0).compute(new double[] {0}, new double[] {-20},
                new double[] {0}, new double[] {0}, 1);
        assertEquals(0.0, r.loss);
        assertEquals(0.0, r.dChosen[0]);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(PreferenceLosses.get("sigmoid"), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(PreferenceLosses.get("sigmoid"), 0.1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(PreferenceLosses.get("ipo"), 0.1, 0.1));
        assertThrows(org.align4j.policy.util.BadInputException.class, () -> PreferenceLosses.get("kto"));
    }
}
