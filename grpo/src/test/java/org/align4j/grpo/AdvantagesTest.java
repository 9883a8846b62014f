package org.align4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdvantagesTest {

    @Test
    void outcomeAdvantagesAreGroupNormalised() {
        double[] a = Advantages.outcome(new double[] {1, 0, 0, 1}, true);
        double std = Math.sqrt(1.0 / 3); // sample std of {1,0,0,1}
        assertArrayEquals(new double[] {0.5 / (std + 1e-4), -0.5 / (std + 1e-4), -0.5 / (std + 1e-4),
                0.5 / (std + 1e-4)}, a, 1e-12);
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5}, Advantages.outcome(new double[] {1, 0, 0, 1}, false),
                1e-12);
    }

    @Test
    void equalRewardsGiveZeroWithoutNaN() {
        double[] a = Advantages.outcome(new double[] {1, 1, 1}, true);
        assertArrayEquals(new double[] {0, 0, 0}, a, 0);
        assertTrue(Advantages.zeroStd(new double[] {0.5, 0.5}));
        assertFalse(Advantages.zeroStd(new double[] {0.5, 0.25}));
    }

    @Test
    void processAdvantageSumsNormalisedRewardsOfLaterSteps() {
        // completion 0: 2 steps ending at tokens 1 and 4 (5 tokens); completion 1: 1 step ending at token 2.
        List<double[]> rewards = List.of(new double[] {1, 0}, new double[] {1});
        List<int[]> ends = List.of(new int[] {1, 4}, new int[] {2});
        double mean = 2.0 / 3;
        double std = Math.sqrt(((1 - mean) * (1 - mean) * 2 + mean * mean) / 2);
        double n1 = (1 - mean) / (std + 1e-4);
        double n0 = (0 - mean) / (std + 1e-4);
        double[][] adv = Advantages.process(rewards, ends, new int[] {5, 3}, true);
        assertArrayEquals(new double[] {n1 + n0, n1 + n0, n0, n0, n0}, adv[0], 1e-12);
        assertArrayEquals(new double[] {n1, n1, n1}, adv[1], 1e-12);
        assertEquals(0.0, Advantages.process(List.of(new double[] {1}, new double[] {1}),
                List.of(new int[] {0}, new int[] {0}), new int[] {1, 1}, true)[0][0], 0);
    }
}
