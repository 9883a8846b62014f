package org.align4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GrpoLossTest {

    private static double[][] random(Random r, int[] lens, double scale, double shift) {
        double[][] x = new double[lens.length][];
        for (int i = 0; i < lens.length; i++) {
            x[i] = new double[lens[i]];
            for (int t = 0; t < lens[i]; t++) {
                x[i][t] = shift + scale * r.nextGaussian();
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(LossType.class)
    void gradientMatchesFiniteDifferences(LossType type) {
        Random r = new Random(1);
        int[] lens = {3, 5, 2};
        double[][] logp = random(r, lens, 0.3, -1.0);
        double[][] old = random(r, lens, 0.3, -1.0);
        double[][] ref = random(r, lens, 0.3, -1.0);
        double[][] adv = random(r, lens, 1.0, 0.0);
        double[][] mask = random(r, lens, 0, 1.0);
        mask[1][4] = 0;
        GrpoLoss loss = new GrpoLoss(0.04, 0.2, 0.28, type, 6);
        GrpoLoss.Result res = loss.compute(logp, old, ref, adv, mask, 3, 9);
        double h = 1e-6;
        for (int i = 0; i < lens.length; i++) {
            for (int t = 0; t < lens[i]; t++) {
                double orig = logp[i][t];
                logp[i][t] = orig + h;
                double up = loss.compute(logp, old, ref, adv, mask, 3, 9).loss;
                logp[i][t] = orig - h;
                double down = loss.compute(logp, old, ref, adv, mask, 3, 9).loss;
                logp[i][t] = orig;
                assertEquals((up - down) / (2 * h), res.dLogp[i][t], 1e-7, "token " + i + "," + t);
            }
        }
    }

    @Test
    void smallExampleWorkedByHand() {
        // one completion of 2 tokens, A = 1; token 0: ratio e^0.1 = 1.10517 (inside the clip range);
        // token 1: ratio e^0.5 = 1.6487 > 1.2, so the clipped term 1.2 * 1 is the min and carries no gradient.
        double[][] logp = {{-1.0, -0.5}};
        double[][] old = {{-1.1, -1.0}};
        double[][] ref = {{-1.0, -0.5}};
        double[][] adv = {{1.0, 1.0}};
        double[][] mask = {{1, 1}};
        GrpoLoss.Result res = new GrpoLoss(0.04, 0.2, 0.2, LossType.GRPO, 8).compute(logp, old, ref, adv, mask, 1, 2);
        assertEquals(-(Math.exp(0.1) + 1.2) / 2, res.loss, 1e-12);
        assertEquals(-Math.exp(0.1) / 2, res.dLogp[0][0], 1e-12);
        assertEquals(0.0, res.dLogp[0][1], 1e-12);
        assertEquals(0.5, res.clipRatioHigh, 1e-12);
        assertEquals(0.0, res.meanKl, 1e-15, "policy equals reference");
    }

    @Test
    void negativeAdvantageIsClippedBelow() {
        // A = -1, ratio e^-0.5 = 0.607 < 0.8: min(-0.607, -0.8) = -0.8 is the clipped term, no gradient;
        // ratio e^0.5 = 1.65 with A = -1: min(-1.65, -1.2) = -1.65 unclipped, gradient flows (pessimistic bound).
        double[][] logp = {{-1.5, -0.5}};
        double[][] old = {{-1.0, -1.0}};
        double[][] adv = {{-1.0, -1.0}};
        double[][] mask = {{1, 1}};
        GrpoLoss.Result res = new GrpoLoss(0, 0.2, 0.2, LossType.DAPO, 8).compute(logp, old, null, adv, mask, 1, 2);
        assertEquals(0.0, res.dLogp[0][0], 0);
        assertEquals(Math.exp(0.5) / 2, res.dLogp[0][1], 1e-12);
        assertEquals(0.5, res.clipRatioLow, 1e-12);
        assertEquals((0.8 + Math.exp(0.5)) / 2, res.loss, 1e-12);
    }

    @Test
    void firstUpdateIsOnPolicyRatioOne() {
        Random r = new Random(3);
        int[] lens = {4, 4};
        double[][] logp = random(r, lens, 0.5, -2);
        double[][] adv = random(r, lens, 1, 0);
        double[][] mask = random(r, lens, 0, 1);
        GrpoLoss.Result res = new GrpoLoss(0.04, 0.2, 0.2, LossType.GRPO, 4).compute(logp, logp, logp, adv, mask, 2, 8);
        assertEquals(1.0, res.meanRatio, 0);
        assertEquals(0.0, res.meanKl, 0);
        assertEquals(0.0, res.clipRatioRegion, 0);
        // on-policy, at the reference: gradient is -A / (|o| * G) per token
        assertEquals(-adv[1][2] / (4 * 2), res.dLogp[1][2], 1e-15);
    }

    @Test
    void klIsTheUnbiasedK3Estimator() {
        double[][] logp = {{-1.0}};
        double[][] ref = {{-1.3}};
        double[][] zeroAdv = {{0.0}};
        GrpoLoss.Result res = new GrpoLoss(1.0, 0.2, 0.2, LossType.GRPO, 1)
                .compute(logp, logp, ref, zeroAdv, new double[][] {{1}}, 1, 1);
        double d = -0.3;
        assertEquals(Math.exp(d) - d - 1, res.meanKl, 1e-15);
        assertEquals(Math.exp(d) - d - 1, res.loss, 1e-15);
    }

    @Test
    void lossTypesNormaliseDifferently() {
        double[][] logp = {{-1, -1, -1}, {-1}};
        double[][] adv = {{1, 1, 1}, {1}};
        double[][] mask = {{1, 1, 1}, {1}};
        assertEquals(-1.0, new GrpoLoss(0, .2, .2, LossType.GRPO, 4).compute(logp, logp, null, adv, mask, 2, 4).loss, 1e-12);
        assertEquals(-4.0 / 8, new GrpoLoss(0, .2, .2, LossType.DR_GRPO, 4).compute(logp, logp, null, adv, mask, 2, 4).loss, 1e-12);
        assertEquals(-1.0, new GrpoLoss(0, .2, .2, LossType.DAPO, 4).compute(logp, logp, null, adv, mask, 2, 4).loss, 1e-12);
    }
}
