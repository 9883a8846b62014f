package org.align4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DivergenceGuardTest {

    private static TrainingStep.Report report(double loss, double kl, double gradNorm, boolean skipped, boolean finite) {
        return new TrainingStep.Report(loss, kl, gradNorm, 1e-3, skipped ? 1 : 0, finite, 1, Map.of());
    }

    private static TrainingStep.Report good(double loss) {
        return report(loss, Double.NaN, 1.0, false, true);
    }

    @Test
    void nonFiniteStepsAreSkippedUpToTheBoundThenStopTheRun() {
        DivergenceGuard g = new DivergenceGuard(2, 0, 0);
        assertTrue(g.check(good(1.0)).good());
        DivergenceGuard.Verdict v = g.check(report(Double.NaN, Double.NaN, Double.NaN, true, true));
        assertTrue(v.skipped());
        assertNull(v.diverged());
        assertNull(g.check(report(2.0, Double.NaN, Double.POSITIVE_INFINITY, true, true)).diverged());
        assertTrue(g.check(good(1.0)).good(), "skips are counted over the run, not reset by a good step");
        v = g.check(report(Double.NaN, Double.NaN, Double.NaN, true, true));
        assertEquals("non-finite loss NaN (3 steps with a non-finite loss or gradient, max_skipped_steps 2)",
                v.diverged());
    }

    @Test
    void zeroSkippedStepsStopsAtTheFirstAndNonFiniteWeightsStopAtOnce() {
        assertEquals("non-finite grad norm Infinity (1 steps with a non-finite loss or gradient, max_skipped_steps 0)",
                new DivergenceGuard(0, 0, 0).check(report(1.0, Double.NaN, Double.POSITIVE_INFINITY, true, true))
                        .diverged());
        String w = new DivergenceGuard(5, 0, 0).check(report(1.0, Double.NaN, 3.0, false, false)).diverged();
        assertTrue(w.startsWith("non-finite weights after the update"), w);
    }

    @Test
    void klAboveMaxKlStopsTheRunAndNaNMeansNoKl() {
        DivergenceGuard g = new DivergenceGuard(0, 0, 5.0);
        assertTrue(g.check(report(0.1, Double.NaN, 1, false, true)).good());
        assertTrue(g.check(report(0.1, 4.9, 1, false, true)).good());
        assertEquals("kl 10.5 above max_kl 5.0", g.check(report(0.1, 10.5, 1, false, true)).diverged());
        assertFalse(new DivergenceGuard(0, 0, 5.0).check(report(0.1, Double.POSITIVE_INFINITY, 1, false, true)).good());
        assertTrue(new DivergenceGuard(0, 0, 0).check(report(0.1, 1e9, 1, false, true)).good(), "0: no limit");
    }

    @Test
    void aLossSpikeAboveTheRunningMeanStopsTheRun() {
        DivergenceGuard g = new DivergenceGuard(0, 2.0, 0);
        assertTrue(g.check(good(10.0)).good(), "the first step has no mean to compare with");
        for (int i = 0; i < 20; i++) {
            assertTrue(g.check(good(3.0)).good());
        }
        assertTrue(g.check(good(8.5)).good(), "within max_loss_spike x |mean| of the running mean (3 + 6)");
        String d = g.check(good(12.0)).diverged();
        assertTrue(d != null && d.startsWith("loss 12.0 is ") && d.endsWith("max_loss_spike 2.0 x max(1, |mean|))"), d);
        DivergenceGuard nearZero = new DivergenceGuard(0, 2.0, 0);
        nearZero.check(good(0.001));
        assertTrue(nearZero.check(good(1.5)).good(), "a mean near 0 allows max_loss_spike itself");
        assertFalse(nearZero.check(good(50)).good());
        assertTrue(new DivergenceGuard(0, 0, 0).check(good(1e30)).good(), "0 disables the check");
    }
}
