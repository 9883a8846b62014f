package org.align4j.dpo.simpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.align4j.dpo.loss.PreferenceLosses;
import org.align4j.dpo.loss.PreferenceParams;
import org.junit.jupiter.api.Test;

class CpoLossTest {

    @Test
    void simpoWorkedByHand() {
        // token means -1 and -2, beta 2, gamma 0.5: -log sigmoid(2 x 1 - 0.5); no NLL with cpo_alpha 0
        CpoLoss loss = new CpoLoss(PreferenceLosses.get("simpo"), new PreferenceParams(2.0, 0, 0.5), 0);
        CpoLoss.Result r = loss.compute(new double[] {-1}, new double[] {-2}, new int[] {5}, 1, 5);
        assertEquals(Math.log1p(Math.exp(-1.5)), r.loss, 1e-12);
        assertEquals(-2.0, r.chosenRewards[0], 1e-12);
        assertEquals(1.0, r.nll, 1e-12, "the NLL of a token mean of -1");
        CpoLoss withNll = new CpoLoss(PreferenceLosses.get("simpo"), new PreferenceParams(2.0, 0, 0.5), 0.5);
        assertEquals(Math.log1p(Math.exp(-1.5)) + 0.5, withNll.compute(new double[] {-1}, new double[] {-2},
                new int[] {5}, 1, 5).loss, 1e-12);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        for (String type : new String[] {"simpo", "sigmoid", "hinge", "ipo"}) {
            CpoLoss loss = new CpoLoss(PreferenceLosses.get(type), new PreferenceParams(0.5, 0, 0.3), 1.0);
            boolean mean = PreferenceLosses.get(type).averagesTokens();
            double[] c = mean ? new double[] {-0.7, -2.3} : new double[] {-4.0, -9.5};
            double[] r = mean ? new double[] {-1.9, -0.4} : new double[] {-6.5, -3.1};
            int[] lens = {3, 7};
            CpoLoss.Result res = loss.compute(c, r, lens, 4, 16);
            double h = 1e-6;
            for (int i = 0; i < 2; i++) {
                for (double[] x : new double[][] {c, r}) {
                    double orig = x[i];
                    x[i] = orig + h;
                    double up = loss.compute(c, r, lens, 4, 16).loss;
                    x[i] = orig - h;
                    double down = loss.compute(c, r, lens, 4, 16).loss;
                    x[i] = orig;
                    double analytic = x == c ? res.dChosen[i] : res.dRejected[i];
                    assertEquals((up - down) / (2 * h), analytic, 1e-8, type + " pair " + i);
                }
            }
        }
    }
}
