package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DeepSeek-V3's auxiliary-loss-free bias update, the expert-load metrics, and router recording and replay on the
 * tiny DeepSeek models of {@link DeepSeekGradientTest}.
 */
class MoeBalancingTest {
    private static final String BIAS = "model.layers.%d.mlp.gate.e_score_correction_bias";

    private static double[] bias(CausalLM m, int layer) {
        return m.weights().get(String.format(BIAS, layer)).toDoubleVector();
    }

    /** One forward and backward pass of the standard batch, the load it routed per MoE layer. */
    private static long[][] trainPass(CausalLM m) {
        TokenBatch b = CausalLMGradientTest.batch();
        m.resetExpertLoad();
        m.forward(b).backward(CausalLMGradientTest.coefficients(b, 3));
        return m.expertLoad();
    }

    @Test
    void biasMovesTowardsTheMeanLoadAfterEachAppliedStep() {
        CausalLM m = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny("v3"), 5);
        double speed = 0.01;
        m.setAuxFreeBiasUpdateSpeed(speed);
        long[][] load = trainPass(m);
        double[][] before = {bias(m, 1), bias(m, 2)};
        m.afterOptimizerStep(true);
        double maxSum = 0;
        double cvSum = 0;
        for (int l = 0; l < 2; l++) {
            double mean = Arrays.stream(load[l]).sum() / (double) load[l].length;
            double[] after = bias(m, l + 1);
            boolean moved = false;
            for (int e = 0; e < after.length; e++) {
                double want = before[l][e] + speed * Math.signum(mean - load[l][e]);
                assertEquals(want, after[e], 1e-15, "layer " + (l + 1) + " expert " + e);
                moved |= want != before[l][e];
            }
            assertTrue(moved, "an unbalanced load moves some bias");
            double[] stats = CausalLM.loadStats(load[l]);
            maxSum += stats[0];
            cvSum += stats[1];
        }
        Map<String, Double> metrics = m.takeMoeLoadMetrics();
        assertEquals(maxSum / 2, metrics.get("moe/load_max"), 1e-12);
        assertEquals(cvSum / 2, metrics.get("moe/load_cv"), 1e-12);
        assertTrue(metrics.get("moe/load_max") >= 1.0);
        assertTrue(m.takeMoeLoadMetrics().isEmpty(), "taken: nothing since");

        // a refused update (non-finite gradient) leaves the bias but still counts the load in the metrics
        trainPass(m);
        double[] kept = bias(m, 1);
        m.afterOptimizerStep(false);
        assertArrayEquals(kept, bias(m, 1));
        assertEquals(2, m.takeMoeLoadMetrics().size());
    }

    @Test
    void loadStatistics() {
        double[] s = CausalLM.loadStats(new long[] {4, 0, 2, 2});
        assertEquals(2.0, s[0], 1e-15, "max / mean = 4 / 2");
        assertEquals(Math.sqrt((4 + 4 + 0 + 0) / 4.0) / 2, s[1], 1e-15, "population std / mean");
        assertEquals(null, CausalLM.loadStats(new long[] {0, 0}));
    }

    @Test
    void speedZeroLeavesTheBiasAndV2RefusesASpeed() {
        CausalLM m = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny("v3"), 5);
        double[] before = bias(m, 1);
        trainPass(m);
        m.afterOptimizerStep(true);
        assertArrayEquals(before, bias(m, 1));
        assertFalse(m.takeMoeLoadMetrics().isEmpty(), "metrics are logged without the update too");
        CausalLM v2 = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny("v2"), 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> v2.setAuxFreeBiasUpdateSpeed(0.001));
        assertTrue(e.getMessage().contains("noaux_tc"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.setAuxFreeBiasUpdateSpeed(-1));
    }

    @Test
    void replayUsesTheGivenExpertsWhileRecordingTheRoutersOwnChoice() {
        CausalLM m = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny("v3"), 8);
        TokenBatch b = CausalLMGradientTest.batch();
        m.setRecordingExpertChoices(true);
        double[][] original = m.forward(b).tokenLogProbs();
        int[][] recorded = m.lastExpertChoices();
        assertEquals(2, recorded.length);
        assertEquals(b.size() * m.gridWidth(b) * m.expertsPerToken(), recorded[0].length);
        // other router weights choose other experts
        m.editWeights(w -> w.forEach((name, v) -> {
            if (name.endsWith("mlp.gate.weight")) {
                v.muli(-1);
            }
        }));
        m.forward(b);
        int[][] changed = m.lastExpertChoices();
        assertFalse(Arrays.deepEquals(recorded, changed), "negated router weights route differently");
        m.replayExpertChoices(recorded);
        m.resetExpertLoad();
        m.forward(b);
        // the first MoE layer sees the same input, so its own choice is the unreplayed one (later layers' inputs
        // depend on the replayed experts before them)
        assertArrayEquals(changed[0], m.lastExpertChoices()[0], "recording keeps the router's own choice");
        long[][] load = m.expertLoad();
        for (int l = 0; l < 2; l++) {
            long[] want = new long[load[l].length];
            for (int id : recorded[l]) {
                if (id >= 0) {
                    want[id]++;
                }
            }
            assertArrayEquals(want, load[l], "the pass ran the replayed experts");
        }
        // replaying everything with the original weights reproduces the original log-probs exactly
        m.editWeights(w -> w.forEach((name, v) -> {
            if (name.endsWith("mlp.gate.weight")) {
                v.muli(-1);
            }
        }));
        double[][] replayed = m.forward(b).tokenLogProbs();
        for (int i = 0; i < original.length; i++) {
            assertArrayEquals(original[i], replayed[i], 0.0);
        }
        m.replayExpertChoices(null);
        m.setRecordingExpertChoices(false);
        m.forward(b);
        assertEquals(null, m.lastExpertChoices());
    }
}
