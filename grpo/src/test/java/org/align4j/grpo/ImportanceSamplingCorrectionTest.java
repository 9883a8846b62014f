package org.align4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.grpo.ImportanceSamplingCorrection.Mode;
import org.junit.jupiter.api.Test;

class ImportanceSamplingCorrectionTest {
    // trainer minus sampler log-probs: completion 0: +0.1, -0.2, +1.5 (last masked out); completion 1: +0.05
    private static final double[][] TRAINER = {{-1.0, -2.0, -0.5}, {-0.3}};
    private static final double[][] SAMPLER = {{-1.1, -1.8, -2.0}, {-0.35}};
    private static final double[][] MASK = {{1, 1, 0}, {1}};

    private static double[][] weights(Mode mode, Double min, Double max, Map<String, Object> m) {
        ImportanceSamplingCorrection.Stats stats = new ImportanceSamplingCorrection.Stats();
        double[][] w = new ImportanceSamplingCorrection(true, mode, min, max).weights(TRAINER, SAMPLER, MASK, stats);
        stats.putInto(m);
        return w;
    }

    @Test
    void tokenTruncateClipsEachTokensRatio() {
        Map<String, Object> m = new LinkedHashMap<>();
        double[][] w = weights(Mode.TOKEN_TRUNCATE, 0.9, 1.06, m);
        assertArrayEquals(new double[] {1.06, 0.9, 1}, w[0], 1e-15);
        assertArrayEquals(new double[] {Math.exp(0.05)}, w[1], 1e-12);
        assertEquals((0.1 + 0.2 + 0.05) / 3, (double) m.get("sampling/sampling_logp_difference/mean"), 1e-12);
        assertEquals(0.2, (double) m.get("sampling/sampling_logp_difference/max"), 1e-12);
        assertEquals(0.9, (double) m.get("sampling/importance_sampling_ratio/min"), 1e-15);
        assertEquals(1.06, (double) m.get("sampling/importance_sampling_ratio/max"), 1e-15);
        assertEquals((1.06 + 0.9 + Math.exp(0.05)) / 3, (double) m.get("sampling/importance_sampling_ratio/mean"), 1e-12);
    }

    @Test
    void tokenMaskZeroesRatiosOutsideTheBounds() {
        double[][] w = weights(Mode.TOKEN_MASK, null, 1.08, new LinkedHashMap<>());
        assertArrayEquals(new double[] {0, Math.exp(-0.2), 1}, w[0], 1e-12);
        assertArrayEquals(new double[] {Math.exp(0.05)}, w[1], 1e-12);
    }

    @Test
    void sequenceModesUseTheSummedLogDifference() {
        // completion 0: exp(0.1 - 0.2) = 0.905; completion 1: exp(0.05) = 1.051; a masked token keeps weight 1
        double[][] t = weights(Mode.SEQUENCE_TRUNCATE, null, 1.0, new LinkedHashMap<>());
        assertArrayEquals(new double[] {Math.exp(-0.1), Math.exp(-0.1), 1}, t[0], 1e-12);
        assertArrayEquals(new double[] {1.0}, t[1], 1e-15);
        Map<String, Object> m = new LinkedHashMap<>();
        double[][] k = weights(Mode.SEQUENCE_MASK, 0.95, 3.0, m);
        assertArrayEquals(new double[] {0, 0, 1}, k[0], 0);
        assertArrayEquals(new double[] {Math.exp(0.05)}, k[1], 1e-12);
        assertEquals(0.0, (double) m.get("sampling/importance_sampling_ratio/min"), 0);
    }

    @Test
    void onPolicyEverythingIsOne() {
        ImportanceSamplingCorrection.Stats stats = new ImportanceSamplingCorrection.Stats();
        double[][] w = new ImportanceSamplingCorrection(true, Mode.SEQUENCE_MASK, null, 3.0)
                .weights(TRAINER, TRAINER, MASK, stats);
        assertArrayEquals(new double[] {1, 1, 1}, w[0], 0);
        Map<String, Object> m = new LinkedHashMap<>();
        stats.putInto(m);
        assertEquals(0.0, (double) m.get("sampling/sampling_logp_difference/max"), 0);
        assertEquals(1.0, (double) m.get("sampling/importance_sampling_ratio/mean"), 0);
    }

    @Test
    void overlongPenaltyIsLinearOverTheBuffer() {
        OverlongPenalty p = new OverlongPenalty(4, 1.0, 16);
        assertEquals(0.0, p.of(12), 0);
        assertEquals(0.0, p.of(3), 0);
        assertEquals(-0.25, p.of(13), 1e-15);
        assertEquals(-1.0, p.of(16), 1e-15);
        assertEquals(-0.5, new OverlongPenalty(4, 2.0, 16).of(13), 1e-15);
        assertEquals(0.0, new OverlongPenalty(0, 1.0, 16).of(16), 0);
    }
}
