package org.align4j.dpo.kto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

class KtoLossTest {
    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void valuesWorkedByHand() {
        // log-ratios 0.4 (desirable) and -0.6 (undesirable), z0 0.1, beta 0.5, weights 1 and 1.5, 2 examples
        KtoLoss loss = new KtoLoss(KtoLoss.Type.KTO, 0.5, 1.0, 1.5);
        KtoLoss.Result r = loss.compute(new double[] {-3.6, -5.6}, new double[] {-4.0, -5.0},
                new boolean[] {true, false}, 0.1, 2);
        double d = 1 - sig(0.5 * (0.4 - 0.1));
        double u = 1.5 * (1 - sig(0.5 * (0.1 + 0.6)));
        assertArrayEquals(new double[] {d, u}, r.exampleLoss, 1e-12);
        assertEquals((d + u) / 2, r.loss, 1e-12);
        assertArrayEquals(new double[] {0.2, -0.3}, r.rewards, 1e-12);
        KtoLoss apo = new KtoLoss(KtoLoss.Type.APO_ZERO_UNPAIRED, 0.5, 1.0, 1.0);
        KtoLoss.Result a = apo.compute(new double[] {-3.6, -5.6}, new double[] {-4.0, -5.0},
                new boolean[] {true, false}, 0.1, 2);
        assertArrayEquals(new double[] {1 - sig(0.2), sig(-0.3)}, a.exampleLoss, 1e-12);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        double[] logp = {-3.6, -5.6, -2.0, -7.1};
        double[] ref = {-4.0, -5.0, -2.5, -7.0};
        boolean[] desirable = {true, false, false, true};
        for (KtoLoss.Type type : KtoLoss.Type.values()) {
            KtoLoss loss = new KtoLoss(type, 0.3, 1.2, 0.8);
            KtoLoss.Result r = loss.compute(logp, ref, desirable, 0.15, 6);
            double h = 1e-6;
            for (int i = 0; i < logp.length; i++) {
                double orig = logp[i];
                logp[i] = orig + h;
                double up = loss.compute(logp, ref, desirable, 0.15, 6).loss;
                logp[i] = orig - h;
                double down = loss.compute(logp, ref, desirable, 0.15, 6).loss;
                logp[i] = orig;
                assertEquals((up - down) / (2 * h), r.dLogp[i], 1e-9, type + " example " + i);
            }
        }
    }

    @Test
    void theReferencePointIsTheClampedMeanMismatchedLogRatio() {
        assertEquals(0.25, KtoLoss.referencePoint(new double[] {-1, -2}, new double[] {-1.5, -2.0}), 1e-12);
        assertEquals(0.0, KtoLoss.referencePoint(new double[] {-2, -2}, new double[] {-1.5, -2.0}), 0);
        assertThrows(BadInputException.class, () -> KtoLoss.Type.parse("sigmoid"));
    }
}
