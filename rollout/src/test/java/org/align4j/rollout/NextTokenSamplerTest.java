package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NextTokenSamplerTest {

    /** Logits whose softmax is exactly probs (up to rounding), placed at a non-zero offset in a larger array. */
    private static float[] logitsOf(double[] probs, int offset) {
        float[] l = new float[offset + probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[offset + i] = probs[i] == 0 ? -1e30f : (float) Math.log(probs[i]);
        }
        return l;
    }

    private static Set<Integer> draws(double[] probs, SamplingParams params, int n) {
        NextTokenSampler s = new NextTokenSampler(probs.length, params);
        float[] logits = logitsOf(probs, 5);
        SplittableRandom rng = new SplittableRandom(7);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(s.next(logits, 5, rng));
        }
        return seen;
    }

    // Shuffled so that the most likely tokens are not the lowest ids.
    private static final double[] PROBS = {0.02, 0.30, 0.01, 0.15, 0.40, 0.07, 0.05};

    @Test
    void topKNeverSamplesOutsideTheKMostLikely() {
        assertEquals(Set.of(4, 1), draws(PROBS, SamplingParams.DEFAULTS.withTopK(2), 3000));
        assertEquals(Set.of(4, 1, 3), draws(PROBS, SamplingParams.DEFAULTS.withTopK(3), 3000));
        assertEquals(Set.of(4), draws(PROBS, SamplingParams.DEFAULTS.withTopK(1), 200));
    }

    @Test
    void topPKeepsTheSmallestSetReachingTheMass() {
        // 0.40 < 0.6, then 0.40 + 0.30 = 0.70 >= 0.6: {4, 1}.
        assertEquals(Set.of(4, 1), draws(PROBS, SamplingParams.DEFAULTS.withTopP(0.6), 3000));
        // 0.70 < 0.8, + 0.15 = 0.85: {4, 1, 3}.
        assertEquals(Set.of(4, 1, 3), draws(PROBS, SamplingParams.DEFAULTS.withTopP(0.8), 3000));
        // Smaller than the top token alone: only it.
        assertEquals(Set.of(4), draws(PROBS, SamplingParams.DEFAULTS.withTopP(0.1), 200));
    }

    @Test
    void topPAppliesToTheTopKDistribution() {
        // Top-3 renormalised: 0.40/0.85 = 0.47, 0.30/0.85 = 0.35 (0.82), 0.15/0.85 = 0.18.
        assertEquals(Set.of(4, 1), draws(PROBS, SamplingParams.DEFAULTS.withTopK(3).withTopP(0.75), 3000));
        assertEquals(Set.of(4, 1, 3), draws(PROBS, SamplingParams.DEFAULTS.withTopK(3).withTopP(0.9), 3000));
    }

    @Test
    void truncationWorksOnLongFlatTails() {
        // 10000 tokens: two likely ones and a tail of 9998 unlikely ones that together hold 20% of the mass,
        // so the candidate threshold has to be lowered to find the nucleus at top_p 0.9.
        double[] probs = new double[10000];
        java.util.Arrays.fill(probs, 0.2 / 9998);
        probs[500] = 0.5;
        probs[7] = 0.3;
        Set<Integer> seen = draws(probs, SamplingParams.DEFAULTS.withTopP(0.9), 1000);
        assertTrue(seen.contains(500) && seen.contains(7));
        assertTrue(seen.size() > 50, "tail tokens are in the nucleus: " + seen.size());
        // Top-3: the tie among the tail goes to the lowest id, token 0.
        Set<Integer> top3 = draws(probs, SamplingParams.DEFAULTS.withTopK(3), 3000);
        assertTrue(Set.of(500, 7, 0).containsAll(top3) && top3.containsAll(Set.of(500, 7)), top3.toString());
        probs[9999] = 0.1;
        probs[500] = 0.4;
        assertEquals(Set.of(500, 7, 9999), draws(probs, SamplingParams.DEFAULTS.withTopK(3), 3000));
    }

    @Test
    void samplesInProportionWithoutTruncation() {
        NextTokenSampler s = new NextTokenSampler(PROBS.length, SamplingParams.DEFAULTS);
        float[] logits = logitsOf(PROBS, 0);
        SplittableRandom rng = new SplittableRandom(3);
        int[] counts = new int[PROBS.length];
        int n = 50000;
        for (int i = 0; i < n; i++) {
            counts[s.next(logits, 0, rng)]++;
        }
        for (int i = 0; i < PROBS.length; i++) {
            assertEquals(PROBS[i], counts[i] / (double) n, 0.01, "token " + i);
        }
    }

    @Test
    void greedyTakesTheArgmaxAndRecordsTemperatureOneLogProb() {
        NextTokenSampler s = new NextTokenSampler(PROBS.length, SamplingParams.greedy(8));
        float[] logits = logitsOf(PROBS, 0);
        assertEquals(4, s.next(logits, 0, null));
        assertEquals(Math.log(0.40), s.lastLogProb(), 1e-6);
    }

    @Test
    void recordsLogSoftmaxAtTheTemperatureBeforeTruncation() {
        SamplingParams p = SamplingParams.DEFAULTS.withTemperature(0.5).withTopK(2);
        NextTokenSampler s = new NextTokenSampler(PROBS.length, p);
        float[] logits = logitsOf(PROBS, 0);
        double z = 0;
        for (double q : PROBS) {
            z += Math.pow(q, 2); // softmax(log q / 0.5) = q^2 / sum q^2
        }
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 50; i++) {
            int t = s.next(logits, 0, rng);
            assertEquals(Math.log(PROBS[t] * PROBS[t] / z), s.lastLogProb(), 1e-6);
        }
    }
}
