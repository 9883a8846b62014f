package org.align4j.dpo.orpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OrpoLossTest {

    @Test
    void valueWorkedByHand() {
        // one pair, mean log-probs ln 0.5 and ln 0.25: odds 1 and 1/3, log odds ratio ln 3
        double c = Math.log(0.5);
        double r = Math.log(0.25);
        OrpoLoss.Result res = new OrpoLoss(0.1).compute(new double[] {c}, new double[] {r}, new int[] {4}, 1, 4);
        assertEquals(Math.log(3), res.logOdds[0], 1e-12);
        assertEquals(Math.log(0.75), res.logOddsRatio[0], 1e-12, "log sigmoid(ln 3) = ln(3/4)");
        assertEquals(-c, res.nll, 1e-12);
        assertEquals(-c - 0.1 * Math.log(0.75), res.loss, 1e-12);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        double[] c = {-0.7, -2.3, -0.05};
        double[] r = {-1.9, -0.4, -3.0};
        int[] lens = {3, 7, 2};
        OrpoLoss loss = new OrpoLoss(0.25);
        OrpoLoss.Result res = loss.compute(c, r, lens, 5, 20);
        double h = 1e-7;
        for (int i = 0; i < c.length; i++) {
            for (double[] x : new double[][] {c, r}) {
                double orig = x[i];
                x[i] = orig + h;
                double up = loss.compute(c, r, lens, 5, 20).loss;
                x[i] = orig - h;
                double down = loss.compute(c, r, lens, 5, 20).loss;
                x[i] = orig;
                double analytic = x == c ? res.dChosen[i] : res.dRejected[i];
                assertEquals((up - down) / (2 * h), analytic, 1e-6 * Math.max(1, Math.abs(analytic)), "pair " + i);
            }
        }
    }
}
