package org.align4j.dpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

class PreferenceLossesTest {
    private static final double LOG2 = Math.log(2);

    private static PairTerm at(String name, double c, double r, double beta, double eps, double gamma) {
        PairTerm t = new PairTerm();
        PreferenceLosses.get(name).pair(c, r, new PreferenceParams(beta, eps, gamma), t);
        return t;
    }

    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void everyLossHasTheGradientOfItsValue() {
        double h = 1e-6;
        for (PreferenceLoss loss : PreferenceLosses.REGISTRY.all()) {
            for (double beta : new double[] {0.1, 0.7}) {
                PreferenceParams p = new PreferenceParams(beta, loss.usesLabelSmoothing() ? 0.1 : 0, 0.5);
                for (double[] cr : new double[][] {{1.3, -0.4}, {-2.0, 0.7}, {0.05, 0.02}}) {
                    PairTerm t = new PairTerm();
                    loss.pair(cr[0], cr[1], p, t);
                    PairTerm up = new PairTerm();
                    PairTerm down = new PairTerm();
                    loss.pair(cr[0] + h, cr[1], p, up);
                    loss.pair(cr[0] - h, cr[1], p, down);
                    assertEquals((up.loss - down.loss) / (2 * h), t.dChosen, 1e-7, loss.name() + " chosen");
                    loss.pair(cr[0], cr[1] + h, p, up);
                    loss.pair(cr[0], cr[1] - h, p, down);
                    assertEquals((up.loss - down.loss) / (2 * h), t.dRejected, 1e-7, loss.name() + " rejected");
                }
            }
        }
    }

    @Test
    void valuesWhenThePolicyIsTheReference() {
        // c = r = 0, beta 0.1, eps 0.1 where used
        assertEquals(LOG2, at("sigmoid", 0, 0, 0.1, 0.1, 0).loss, 1e-12);
        assertEquals(1.0, at("hinge", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(25.0, at("ipo", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(0.5 * (Math.log(0.5) - Math.log(0.9)) + 0.5 * (Math.log(0.5) - Math.log(0.1)),
                at("exo_pair", 0, 0, 0.1, 0.1, 0).loss, 1e-12);
        assertEquals(2 * LOG2, at("nca_pair", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(LOG2, at("robust", 0, 0, 0.1, 0.1, 0).loss, 1e-12);
        assertEquals(2 * LOG2, at("bco_pair", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(2 * 25.0, at("sppo_hard", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(1.0, at("apo_zero", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(1.0, at("apo_down", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(LOG2, at("sigmoid_norm", 0, 0, 0.1, 0, 0).loss, 1e-12);
        assertEquals(Math.log1p(Math.exp(0.5)), at("simpo", 0, 0, 0.1, 0, 0.5).loss, 1e-12);
    }

    @Test
    void valuesWorkedByHand() {
        // c = 1, r = -1, beta = 0.5: z = 2, beta z = 1, beta c = 0.5, beta r = -0.5
        assertEquals(-Math.log(sig(1)), at("sigmoid", 1, -1, 0.5, 0, 0).loss, 1e-12);
        assertEquals(0.0, at("hinge", 1, -1, 0.5, 0, 0).loss, 0);
        assertEquals(Math.pow(2 - 1, 2), at("ipo", 1, -1, 0.5, 0, 0).loss, 1e-12);
        assertEquals(-Math.log(sig(0.5)) - 0.5 * Math.log(sig(-0.5)) - 0.5 * Math.log(sig(0.5)),
                at("nca_pair", 1, -1, 0.5, 0, 0).loss, 1e-12);
        assertEquals((-0.8 * Math.log(sig(1)) + 0.2 * Math.log(sig(-1))) / 0.6, at("robust", 1, -1, 0.5, 0.2, 0).loss,
                1e-12);
        assertEquals(-Math.log(sig(0.5)) - Math.log(sig(0.5)), at("bco_pair", 1, -1, 0.5, 0, 0).loss, 1e-12);
        assertEquals(0 + 0, at("sppo_hard", 1, -1, 0.5, 0, 0).loss, 1e-12, "c = 1/(2 beta), r = -1/(2 beta)");
        assertEquals(1 - sig(0.5) + sig(-0.5), at("apo_zero", 1, -1, 0.5, 0, 0).loss, 1e-12);
        assertEquals(sig(0.5) + 1 - sig(1), at("apo_down", 1, -1, 0.5, 0, 0).loss, 1e-12);
        double qw = sig(1);
        double ql = sig(-1);
        assertEquals(qw * Math.log(qw / 0.999) + ql * Math.log(ql / 0.001), at("exo_pair", 1, -1, 0.5, 0.001, 0).loss,
                1e-12);
        assertEquals(-Math.log(sig(1 - 0.3)), at("simpo", 1, -1, 0.5, 0, 0.3).loss, 1e-12);
    }

    @Test
    void lossesThatCoincide() {
        for (double[] cr : new double[][] {{1.3, -0.4}, {-2.0, 0.7}}) {
            double sigmoid = at("sigmoid", cr[0], cr[1], 0.3, 0, 0).loss;
            assertEquals(sigmoid, at("robust", cr[0], cr[1], 0.3, 0, 0).loss, 1e-12, "robust without noise");
            assertEquals(sigmoid, at("sigmoid_norm", cr[0], cr[1], 0.3, 0, 0).loss, 1e-12, "same form, other lengths");
            assertEquals(sigmoid, at("simpo", cr[0], cr[1], 0.3, 0, 0).loss, 1e-12, "simpo without margin");
        }
        PreferenceLoss norm = PreferenceLosses.get("sigmoid_norm");
        assertEquals(true, norm.averagesTokens());
        assertEquals(false, PreferenceLosses.get("sigmoid").averagesTokens());
    }

    @Test
    void settingsALossCannotUseAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> PreferenceLosses.get("exo_pair").check(PreferenceParams.of(0.1, 0)));
        assertThrows(IllegalArgumentException.class,
                () -> PreferenceLosses.get("hinge").check(PreferenceParams.of(0.1, 0.1)));
        PreferenceLosses.get("robust").check(PreferenceParams.of(0.1, 0.1));
        BadInputException e = assertThrows(BadInputException.class, () -> PreferenceLosses.get("kto"));
        assertEquals("unknown loss_type 'kto' (known: sigmoid, hinge, ipo, exo_pair, nca_pair, robust, bco_pair, "
                + "sppo_hard, apo_zero, apo_down, sigmoid_norm, simpo)", e.getMessage());
    }
}
