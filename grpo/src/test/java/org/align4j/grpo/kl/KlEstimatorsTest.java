package org.align4j.grpo.kl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

class KlEstimatorsTest {
    // two categorical distributions over four tokens
    private static final double[] P = {0.5, 0.25, 0.15, 0.10};
    private static final double[] Q = {0.2, 0.3, 0.3, 0.2};

    private static double trueKl() {
        double kl = 0;
        for (int x = 0; x < P.length; x++) {
            kl += P[x] * Math.log(P[x] / Q[x]);
        }
        return kl;
    }

    /** E over x ~ pi of the estimator, computed exactly over the four tokens. */
    private static double expectation(KlEstimator k) {
        double e = 0;
        for (int x = 0; x < P.length; x++) {
            e += P[x] * k.value(Math.log(P[x]), Math.log(Q[x]));
        }
        return e;
    }

    @Test
    void k1AndK3AreUnbiasedAndK2IsNot() {
        assertEquals(trueKl(), expectation(new K1()), 1e-12);
        assertEquals(trueKl(), expectation(new K3()), 1e-12);
        assertNotEquals(trueKl(), expectation(new K2()), 1e-3);
    }

    @Test
    void valuesWorkedByHand() {
        // log pi = -1, log pi_ref = -1.3: d = log(pi/pi_ref) = 0.3
        assertEquals(0.3, new K1().value(-1, -1.3), 1e-15);
        assertEquals(0.045, new K2().value(-1, -1.3), 1e-15);
        assertEquals(Math.exp(-0.3) + 0.3 - 1, new K3().value(-1, -1.3), 1e-15);
        for (double lp = -3; lp <= 0; lp += 0.25) {
            assertTrue(new K3().value(lp, -1.3) >= 0);
            assertTrue(new K2().value(lp, -1.3) >= 0);
        }
    }

    @Test
    void derivativesMatchFiniteDifferences() {
        double h = 1e-6;
        for (KlEstimator k : KlEstimators.REGISTRY.all()) {
            for (double lp : new double[] {-2.5, -1.0, -0.2}) {
                double fd = (k.value(lp + h, -1.1) - k.value(lp - h, -1.1)) / (2 * h);
                assertEquals(fd, k.dLogp(lp, -1.1), 1e-8, k.name() + " at " + lp);
            }
        }
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        BadInputException e = assertThrows(BadInputException.class, () -> KlEstimators.get("k4"));
        assertEquals("unknown kl_estimator 'k4' (known: k1, k2, k3)", e.getMessage());
    }
}
