package org.align4j.grpo.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.align4j.grpo.kl.KlEstimator;
import org.align4j.grpo.kl.KlEstimators;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GrpoLossTest {
    private static final KlEstimator K3 = KlEstimators.get("k3");

    static double[][] random(Random r, int[] lens, double scale, double shift) {
        double[][] x = new double[lens.length][];
        for (int i = 0; i < lens.length; i++) {
            x[i] = new double[lens[i]];
            for (int t = 0; t < lens[i]; t++) {
                x[i][t] = shift + scale * r.nextGaussian();
            }
        }
        return x;
    }

    static double[][] ones(int[] lens) {
        return random(new Random(0), lens, 0, 1.0);
    }

    private static GrpoLoss loss(String type, ImportanceSamplingLevel level, ClipRange clip, double beta, String kl,
                                 double quantile) {
        return new GrpoLoss(new GrpoLoss.Options(PolicyLosses.get(type), level, clip, beta, KlEstimators.get(kl),
                quantile));
    }

    private static GrpoLoss plain(String type, double beta) {
        return loss(type, ImportanceSamplingLevel.TOKEN, ClipRange.of(0.2, 0.2), beta, "k3", 1.0);
    }

    static Stream<Arguments> variants() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String type : PolicyLosses.REGISTRY.names()) {
            for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values()) {
                for (String kl : KlEstimators.REGISTRY.names()) {
                    b.add(Arguments.of(type, level, kl));
                }
            }
        }
        return b.build();
    }

    /**
     * The gradient of every loss, at both importance-sampling levels, with every KL estimator, two-sided clipping,
     * an entropy mask and sampler weights, is the finite difference of the loss. CISPO's weight is a stop-gradient,
     * so it is checked where the weight is capped (epsilon_high 0.2 below every ratio), where its loss value is
     * exactly -0.2 A logp.
     */
    @ParameterizedTest
    @MethodSource("variants")
    void gradientMatchesFiniteDifferences(String type, ImportanceSamplingLevel level, String kl) {
        Random r = new Random(1);
        int[] lens = {3, 5, 2, 4};
        double[][] logp = random(r, lens, 0.3, -1.0);
        double[][] old = random(r, lens, 0.3, -1.0);
        double[][] ref = random(r, lens, 0.3, -1.0);
        double[][] adv = random(r, lens, 1.0, 0.0);
        double[][] entropy = random(r, lens, 1.0, 2.0);
        double[][] is = random(r, lens, 0.2, 1.0);
        double[][] mask = ones(lens);
        mask[1][4] = 0;
        ClipRange clip = type.equals("cispo") ? new ClipRange(0.2, 0.2, 1.5) : new ClipRange(0.2, 0.28, 1.5);
        GrpoLoss loss = loss(type, level, clip, 0.04, kl, 0.6);
        BatchShape shape = new BatchShape(8, 20, 13, 2, 6);
        GrpoLoss.Inputs in = new GrpoLoss.Inputs(logp, old, ref, adv, mask, entropy, is);
        GrpoLoss.Result res = loss.compute(in, shape);
        assertTrue(res.entropyMasked > 0, "the entropy mask drops some tokens");
        double h = 1e-6;
        for (int i = 0; i < lens.length; i++) {
            for (int t = 0; t < lens[i]; t++) {
                double orig = logp[i][t];
                logp[i][t] = orig + h;
                double up = loss.compute(in, shape).loss;
                logp[i][t] = orig - h;
                double down = loss.compute(in, shape).loss;
                logp[i][t] = orig;
                assertEquals((up - down) / (2 * h), res.dLogp[i][t], 1e-7, type + " token " + i + "," + t);
            }
        }
    }

    @Test
    void smallExampleWorkedByHand() {
        // one completion of 2 tokens, A = 1; token 0: ratio e^0.1 = 1.10517 (inside the clip range);
        // token 1: ratio e^0.5 = 1.6487 > 1.2, so the clipped term 1.2 * 1 is the min and carries no gradient.
        double[][] logp = {{-1.0, -0.5}};
        double[][] old = {{-1.1, -1.0}};
        double[][] adv = {{1.0, 1.0}};
        double[][] mask = {{1, 1}};
        GrpoLoss.Result res = plain("grpo", 0.04).compute(new GrpoLoss.Inputs(logp, old, logp, adv, mask, null, null),
                BatchShape.whole(1, 2, 8));
        assertEquals(-(Math.exp(0.1) + 1.2) / 2, res.loss, 1e-12);
        assertEquals(-Math.exp(0.1) / 2, res.dLogp[0][0], 1e-12);
        assertEquals(0.0, res.dLogp[0][1], 1e-12);
        assertEquals(0.5, res.clippedHigh / res.clipCount, 1e-12);
        assertEquals(0.0, res.klSum, 1e-15, "policy equals reference");
    }

    @Test
    void negativeAdvantageIsClippedBelow() {
        // A = -1, ratio e^-0.5 = 0.607 < 0.8: min(-0.607, -0.8) = -0.8 is the clipped term, no gradient;
        // ratio e^0.5 = 1.65 with A = -1: min(-1.65, -1.2) = -1.65 unclipped, gradient flows (pessimistic bound).
        double[][] logp = {{-1.5, -0.5}};
        double[][] old = {{-1.0, -1.0}};
        double[][] adv = {{-1.0, -1.0}};
        GrpoLoss.Result res = plain("dapo", 0).compute(new GrpoLoss.Inputs(logp, old, null, adv, new double[][] {{1, 1}},
                null, null), BatchShape.whole(1, 2, 8));
        assertEquals(0.0, res.dLogp[0][0], 0);
        assertEquals(Math.exp(0.5) / 2, res.dLogp[0][1], 1e-12);
        assertEquals(0.5, res.clippedLow / res.clipCount, 1e-12);
        assertEquals((0.8 + Math.exp(0.5)) / 2, res.loss, 1e-12);
    }

    @Test
    void deltaCapsTheUnclippedRatioOfNegativeAdvantages() {
        // INTELLECT-2: ratio e^0.5 = 1.65 with A = -1 is capped at delta 1.4: loss 1.4 / 2, no gradient through it
        double[][] logp = {{-0.5, -1.0}};
        double[][] old = {{-1.0, -1.0}};
        double[][] adv = {{-1.0, -1.0}};
        GrpoLoss l = loss("dapo", ImportanceSamplingLevel.TOKEN, new ClipRange(0.2, 0.2, 1.4), 0, "k3", 1);
        GrpoLoss.Result res = l.compute(new GrpoLoss.Inputs(logp, old, null, adv, new double[][] {{1, 1}}, null, null),
                BatchShape.whole(1, 2, 8));
        assertEquals((1.4 + 1.0) / 2, res.loss, 1e-12);
        assertEquals(0.0, res.dLogp[0][0], 0);
        assertEquals(0.5, res.dLogp[0][1], 1e-12);
    }

    @Test
    void cispoKeepsTheGradientOfClippedTokens() {
        // ratio e^0.5 = 1.65, A = 1: the clipped surrogate gives no gradient; CISPO with cap 5 gives -1.65 A,
        // and with cap 1.2 gives -1.2 A (the weight is clipped, the token still learns)
        double[][] logp = {{-0.5}};
        double[][] old = {{-1.0}};
        double[][] adv = {{1.0}};
        GrpoLoss.Inputs in = new GrpoLoss.Inputs(logp, old, null, adv, new double[][] {{1}}, null, null);
        BatchShape shape = BatchShape.whole(1, 1, 8);
        assertEquals(0.0, plain("dapo", 0).compute(in, shape).dLogp[0][0], 0);
        GrpoLoss wide = loss("cispo", ImportanceSamplingLevel.TOKEN, ClipRange.of(0.2, 5.0), 0, "k3", 1);
        assertEquals(-Math.exp(0.5), wide.compute(in, shape).dLogp[0][0], 1e-12);
        assertEquals(-Math.exp(0.5) * -0.5, wide.compute(in, shape).loss, 1e-12);
        GrpoLoss tight = loss("cispo", ImportanceSamplingLevel.TOKEN, ClipRange.of(0.2, 1.2), 0, "k3", 1);
        GrpoLoss.Result res = tight.compute(in, shape);
        assertEquals(-1.2, res.dLogp[0][0], 1e-12);
        assertEquals(1.0, res.clippedHigh, 0);
    }

    @Test
    void firstUpdateIsOnPolicyRatioOne() {
        Random r = new Random(3);
        int[] lens = {4, 4};
        double[][] logp = random(r, lens, 0.5, -2);
        double[][] adv = random(r, lens, 1, 0);
        GrpoLoss.Result res = plain("grpo", 0.04).compute(new GrpoLoss.Inputs(logp, logp, logp, adv, ones(lens),
                null, null), BatchShape.whole(2, 8, 4));
        assertEquals(1.0, res.ratioSum / res.tokens, 0);
        assertEquals(0.0, res.klSum, 0);
        assertEquals(0.0, res.clippedLow + res.clippedHigh, 0);
        // on-policy, at the reference: gradient is -A / (|o| * G) per token
        assertEquals(-adv[1][2] / (4 * 2), res.dLogp[1][2], 1e-15);
    }

    @Test
    void lossTypesNormaliseDifferently() {
        double[][] logp = {{-1, -1, -1}, {-1}};
        double[][] adv = {{1, 1, 1}, {1}};
        double[][] mask = {{1, 1, 1}, {1}};
        GrpoLoss.Inputs in = new GrpoLoss.Inputs(logp, logp, null, adv, mask, null, null);
        BatchShape shape = new BatchShape(2, 4, 4, 1, 4);
        assertEquals(-1.0, plain("grpo", 0).compute(in, shape).loss, 1e-12);
        assertEquals(-4.0 / 8, plain("dr_grpo", 0).compute(in, shape).loss, 1e-12);
        assertEquals(-1.0, plain("dapo", 0).compute(in, shape).loss, 1e-12);
        assertEquals(-1.0, plain("bnpo", 0).compute(in, shape).loss, 1e-12);
        // bnpo over two micro-batches: each micro-batch's token mean, halved
        GrpoLoss.Result first = plain("bnpo", 0).compute(new GrpoLoss.Inputs(new double[][] {logp[0]},
                new double[][] {logp[0]}, null, new double[][] {adv[0]}, new double[][] {mask[0]}, null, null),
                new BatchShape(2, 4, 0, 2, 4));
        assertEquals(-0.5, first.loss, 1e-12);
    }

    @Test
    void topEntropyQuantileKeepsTheHighEntropyTokens() {
        // entropies 1, 2, 3, 4: the 0.5 quantile is 2.5, so the tokens of entropy 3 and 4 keep their term
        double[][] logp = {{-1, -1, -1, -1}};
        double[][] adv = {{1, 1, 1, 1}};
        double[][] entropy = {{3, 1, 4, 2}};
        GrpoLoss l = loss("dapo", ImportanceSamplingLevel.TOKEN, ClipRange.of(0.2, 0.2), 0, "k3", 0.5);
        GrpoLoss.Result res = l.compute(new GrpoLoss.Inputs(logp, logp, null, adv, new double[][] {{1, 1, 1, 1}},
                entropy, null), BatchShape.whole(1, 4, 4));
        assertEquals(-0.25, res.dLogp[0][0], 1e-15);
        assertEquals(0.0, res.dLogp[0][1], 0);
        assertEquals(-0.25, res.dLogp[0][2], 1e-15);
        assertEquals(0.0, res.dLogp[0][3], 0);
        assertEquals(-0.5, res.loss, 1e-15);
        assertEquals(2, res.entropyMasked);
        assertEquals(2.5, GrpoLoss.quantile(new double[] {4, 1, 3, 2}, 0.5), 0);
        assertEquals(3.25, GrpoLoss.quantile(new double[] {4, 1, 3, 2}, 0.75), 1e-15);
    }

    // ---------------------------------------------------------------- variants that coincide

    private static void assertSame(GrpoLoss.Result a, GrpoLoss.Result b, String what) {
        assertEquals(a.loss, b.loss, 1e-12, what + ": loss");
        for (int i = 0; i < a.dLogp.length; i++) {
            for (int t = 0; t < a.dLogp[i].length; t++) {
                assertEquals(a.dLogp[i][t], b.dLogp[i][t], 1e-12, what + ": gradient " + i + "," + t);
            }
        }
    }

    private static GrpoLoss.Inputs randomInputs(int[] lens, long seed) {
        Random r = new Random(seed);
        return new GrpoLoss.Inputs(random(r, lens, 0.3, -1), random(r, lens, 0.3, -1), random(r, lens, 0.3, -1),
                random(r, lens, 1, 0), ones(lens), random(r, lens, 1, 2), null);
    }

    @Test
    void sequenceLevelWithOneTokenIsTokenLevel() {
        int[] lens = {1, 1, 1};
        GrpoLoss.Inputs in = randomInputs(lens, 5);
        for (String type : PolicyLosses.REGISTRY.names()) {
            ClipRange clip = new ClipRange(0.2, 0.28, 1.6);
            assertSame(loss(type, ImportanceSamplingLevel.TOKEN, clip, 0.04, "k3", 1).compute(in, BatchShape.whole(3, 3, 4)),
                    loss(type, ImportanceSamplingLevel.SEQUENCE, clip, 0.04, "k3", 1).compute(in, BatchShape.whole(3, 3, 4)),
                    type);
        }
    }

    @Test
    void sequenceLevelWithEqualTokenRatiosIsTokenLevel() {
        // GSPO's weight is the geometric mean of the token weights: equal token weights make it the same weight,
        // and the sequence gradient spread evenly over the tokens equals the per-token gradients (grpo averaging)
        int[] lens = {3, 5};
        GrpoLoss.Inputs in = randomInputs(lens, 6);
        double[] shift = {0.05, -0.1};
        for (int i = 0; i < lens.length; i++) {
            for (int t = 0; t < lens[i]; t++) {
                in.oldLogp()[i][t] = in.logp()[i][t] - shift[i];
                in.advantages()[i][t] = in.advantages()[i][0];
            }
        }
        BatchShape shape = BatchShape.whole(2, 8, 5);
        assertSame(loss("grpo", ImportanceSamplingLevel.TOKEN, ClipRange.of(0.2, 0.2), 0, "k3", 1).compute(in, shape),
                loss("grpo", ImportanceSamplingLevel.SEQUENCE, ClipRange.of(0.2, 0.2), 0, "k3", 1).compute(in, shape),
                "equal ratios");
    }

    @Test
    void bnpoIsDapoInOneMicroBatchAndGrpoWithOneCompletionPerMicroBatch() {
        int[] lens = {3, 5, 2};
        GrpoLoss.Inputs in = randomInputs(lens, 7);
        assertSame(plain("bnpo", 0.04).compute(in, BatchShape.whole(3, 10, 6)),
                plain("dapo", 0.04).compute(in, BatchShape.whole(3, 10, 6)), "one micro-batch");
        GrpoLoss.Result grpo = plain("grpo", 0.04).compute(in, BatchShape.whole(3, 10, 6));
        for (int i = 0; i < 3; i++) {
            GrpoLoss.Inputs one = new GrpoLoss.Inputs(new double[][] {in.logp()[i]}, new double[][] {in.oldLogp()[i]},
                    new double[][] {in.refLogp()[i]}, new double[][] {in.advantages()[i]}, new double[][] {in.mask()[i]},
                    null, null);
            GrpoLoss.Result r = plain("bnpo", 0.04).compute(one, new BatchShape(3, 10, 0, 3, 6));
            for (int t = 0; t < lens[i]; t++) {
                assertEquals(grpo.dLogp[i][t], r.dLogp[0][t], 1e-12);
            }
        }
    }

    @Test
    void equalLengthsAtTheMaximumMakeGrpoDrGrpoAndDapoOne() {
        int[] lens = {4, 4, 4};
        GrpoLoss.Inputs in = randomInputs(lens, 8);
        BatchShape shape = BatchShape.whole(3, 12, 4);
        GrpoLoss.Result dapo = plain("dapo", 0.04).compute(in, shape);
        assertSame(plain("grpo", 0.04).compute(in, shape), dapo, "grpo");
        assertSame(plain("dr_grpo", 0.04).compute(in, shape), dapo, "dr_grpo");
    }

    @Test
    void cispoOnPolicyHasTheClippedSurrogatesGradient() {
        // at ratio 1 (the first update of a batch) the clipped surrogate's gradient is -A, and so is CISPO's
        int[] lens = {3, 2};
        GrpoLoss.Inputs in = randomInputs(lens, 9);
        GrpoLoss.Inputs onPolicy = new GrpoLoss.Inputs(in.logp(), in.logp(), in.refLogp(), in.advantages(), in.mask(),
                null, null);
        BatchShape shape = BatchShape.whole(2, 5, 3);
        GrpoLoss.Result dapo = plain("dapo", 0.04).compute(onPolicy, shape);
        GrpoLoss.Result cispo = loss("cispo", ImportanceSamplingLevel.TOKEN, ClipRange.of(0.2, 5.0), 0.04, "k3", 1)
                .compute(onPolicy, shape);
        for (int i = 0; i < 2; i++) {
            for (int t = 0; t < lens[i]; t++) {
                assertEquals(dapo.dLogp[i][t], cispo.dLogp[i][t], 1e-12);
            }
        }
    }

    @Test
    void neutralOptionsChangeNothing() {
        int[] lens = {3, 5};
        GrpoLoss.Inputs in = randomInputs(lens, 10);
        BatchShape shape = BatchShape.whole(2, 8, 5);
        GrpoLoss.Result base = plain("grpo", 0.04).compute(in, shape);
        assertSame(loss("grpo", ImportanceSamplingLevel.TOKEN, new ClipRange(0.2, 0.2, Double.POSITIVE_INFINITY),
                0.04, "k3", 1.0).compute(in, shape), base, "delta infinity");
        GrpoLoss.Inputs unitWeights = new GrpoLoss.Inputs(in.logp(), in.oldLogp(), in.refLogp(), in.advantages(),
                in.mask(), in.entropy(), ones(lens));
        assertSame(plain("grpo", 0.04).compute(unitWeights, shape), base, "sampler weights 1");
    }

    @Test
    void unknownLossTypeListsTheKnownOnes() {
        BadInputException e = assertThrows(BadInputException.class, () -> PolicyLosses.get("ppo"));
        assertEquals("unknown loss_type 'ppo' (known: grpo, dr_grpo, dapo, bnpo, cispo)", e.getMessage());
    }
}
