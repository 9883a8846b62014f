package org.align4j.grpo.advantage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

class AdvantageEstimatorsTest {
    private static final double EPS = Statistics.STD_EPS;

    private static double[] first(double[][] adv) {
        double[] a = new double[adv.length];
        for (int i = 0; i < adv.length; i++) {
            a[i] = adv[i].length == 0 ? 0 : adv[i][0];
        }
        return a;
    }

    private static CompletionRewards outcome(int g, int[] lens, double... r) {
        return CompletionRewards.outcome(g, lens, r, null);
    }

    @Test
    void grpoNormalisesWithinEachGroup() {
        double std = Math.sqrt(1.0 / 3); // sample std of {1,0,0,1}
        double[][] a = new GrpoAdvantage().advantages(outcome(4, new int[] {2, 1, 3, 2}, 1, 0, 0, 1), ScaleRewards.GROUP);
        assertArrayEquals(new double[] {0.5 / (std + EPS), -0.5 / (std + EPS), -0.5 / (std + EPS), 0.5 / (std + EPS)},
                first(a), 1e-12);
        assertArrayEquals(new double[] {-0.5 / (std + EPS), -0.5 / (std + EPS), -0.5 / (std + EPS)}, a[2], 1e-12);
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5}, first(new GrpoAdvantage()
                .advantages(outcome(4, new int[] {1, 1, 1, 1}, 1, 0, 0, 1), ScaleRewards.NONE)), 1e-12);
    }

    @Test
    void grpoBatchScalingDividesByTheStdOfTheWholeBatch() {
        // groups {1, 0} and {3, 3}: centred 0.5, -0.5, 0, 0, over the sample std of the batch {1, 0, 3, 3}
        double mean = 7.0 / 4;
        double std = Math.sqrt(((1 - mean) * (1 - mean) + mean * mean + 2 * (3 - mean) * (3 - mean)) / 3);
        double[][] a = new GrpoAdvantage().advantages(outcome(2, new int[] {1, 1, 1, 1}, 1, 0, 3, 3), ScaleRewards.BATCH);
        assertArrayEquals(new double[] {0.5 / (std + EPS), -0.5 / (std + EPS), 0, 0}, first(a), 1e-12);
    }

    @Test
    void equalRewardsGiveZeroWithoutNaN() {
        assertArrayEquals(new double[] {0, 0, 0}, first(new GrpoAdvantage()
                .advantages(outcome(3, new int[] {1, 1, 1}, 1, 1, 1), ScaleRewards.GROUP)), 0);
    }

    @Test
    void grpoProcessAdvantageSumsNormalisedRewardsOfLaterSteps() {
        // completion 0: 2 steps ending at tokens 1 and 4 (5 tokens); completion 1: 1 step ending at token 2.
        CompletionRewards r = new CompletionRewards(2, new int[] {5, 3}, new double[][] {{1, 0}, {1}},
                new int[][] {{1, 4}, {2}}, null);
        double mean = 2.0 / 3;
        double std = Math.sqrt(((1 - mean) * (1 - mean) * 2 + mean * mean) / 2);
        double n1 = (1 - mean) / (std + EPS);
        double n0 = (0 - mean) / (std + EPS);
        double[][] adv = new GrpoAdvantage().advantages(r, ScaleRewards.GROUP);
        assertArrayEquals(new double[] {n1 + n0, n1 + n0, n0, n0, n0}, adv[0], 1e-12);
        assertArrayEquals(new double[] {n1, n1, n1}, adv[1], 1e-12);
    }

    @Test
    void anAbstainingCompletionIsLeftOutAndGetsZero() {
        // a process reward that abstains (null) for completion 2: the group statistics are those of {1, 0}
        CompletionRewards r = new CompletionRewards(3, new int[] {2, 2, 2}, new double[][] {{1}, {0}, null},
                new int[][] {{1}, {1}, {1}}, null);
        double std = Math.sqrt(0.5);
        for (AdvantageEstimator e : AdvantageEstimators.REGISTRY.all()) {
            double[][] a = e.advantages(r, ScaleRewards.GROUP);
            assertArrayEquals(new double[] {0, 0}, a[2], 0, e.name());
        }
        double[][] a = new GrpoAdvantage().advantages(r, ScaleRewards.GROUP);
        assertArrayEquals(new double[] {0.5 / (std + EPS), -0.5 / (std + EPS), 0}, first(a), 1e-12);
        double[][] loo = new RlooAdvantage().advantages(r, ScaleRewards.GROUP);
        assertArrayEquals(new double[] {1, -1, 0}, first(loo), 1e-12);
    }

    @Test
    void rlooSubtractsTheMeanOfTheOthers() {
        double[] r = {1, 0, 0, 0.5};
        double[][] a = new RlooAdvantage().advantages(outcome(4, new int[] {2, 2, 1, 3}, r), ScaleRewards.GROUP);
        // by hand: 1 - (0 + 0 + 0.5) / 3, 0 - (1 + 0 + 0.5) / 3, ..., 0.5 - 1 / 3
        assertArrayEquals(new double[] {1 - 0.5 / 3, -1.5 / 3, -1.5 / 3, 0.5 - 1.0 / 3}, first(a), 1e-12);
        // and verl's form: k / (k - 1) * (r - mean)
        double mean = 1.5 / 4;
        for (int i = 0; i < 4; i++) {
            assertEquals(4.0 / 3 * (r[i] - mean), a[i][a[i].length - 1], 1e-12);
        }
        // a group of one keeps its reward
        assertArrayEquals(new double[] {0.7, 0.7}, new RlooAdvantage()
                .advantages(outcome(1, new int[] {2}, 0.7), ScaleRewards.GROUP)[0], 1e-12);
    }

    @Test
    void reinforcePlusPlusWhitensReturnsOverAllTokens() {
        // outcome rewards 1 (one token) and 0 (three tokens): token values {1, 0, 0, 0}, mean 0.25, unbiased
        // variance (0.5625 + 3 x 0.0625) / 3 = 0.25
        double[][] a = new ReinforcePlusPlusAdvantage().advantages(outcome(2, new int[] {1, 3}, 1, 0), ScaleRewards.GROUP);
        double s = Math.sqrt(0.25 + 1e-8);
        assertArrayEquals(new double[] {0.75 / s}, a[0], 1e-12);
        assertArrayEquals(new double[] {-0.25 / s, -0.25 / s, -0.25 / s}, a[1], 1e-12);
    }

    @Test
    void reinforcePlusPlusReturnsSumTheRewardsFromEachToken() {
        // one completion of 4 tokens, step rewards 1 at token 1 and -0.5 at token 3, KL penalty -0.1 per token:
        // token rewards {-0.1, 0.9, -0.1, -0.6}, returns {0.1, 0.2, -0.7, -0.6}, then whitened
        CompletionRewards r = new CompletionRewards(1, new int[] {4}, new double[][] {{1, -0.5}},
                new int[][] {{1, 3}}, new double[][] {{-0.1, -0.1, -0.1, -0.1}});
        double[] ret = {0.1, 0.2, -0.7, -0.6};
        double mean = -0.25;
        double var = 0;
        for (double v : ret) {
            var += (v - mean) * (v - mean);
        }
        var /= 3;
        double[] expected = new double[4];
        for (int t = 0; t < 4; t++) {
            expected[t] = (ret[t] - mean) / Math.sqrt(var + 1e-8);
        }
        assertArrayEquals(expected, new ReinforcePlusPlusAdvantage().advantages(r, ScaleRewards.GROUP)[0], 1e-12);
    }

    @Test
    void reinforcePlusPlusBaselineCentresOnTheGroupThenWhitens() {
        // groups {1, 0} and {2, 2}: centred 0.5, -0.5, 0, 0 on lengths 1, 1, 2, 2 -> token values
        // {0.5, -0.5, 0, 0, 0, 0}: mean 0, unbiased variance 0.5 / 5 = 0.1
        double[][] a = new ReinforcePlusPlusBaselineAdvantage()
                .advantages(outcome(2, new int[] {1, 1, 2, 2}, 1, 0, 2, 2), ScaleRewards.GROUP);
        double s = Math.sqrt(0.1 + 1e-8);
        assertArrayEquals(new double[] {0.5 / s, -0.5 / s, 0, 0}, first(a), 1e-12);
    }

    @Test
    void klInTheRewardLowersTheSequenceReward() {
        // rewards 1 and 1 with KL penalties summing to -0.3 and -0.1: the second is better by 0.2
        CompletionRewards r = CompletionRewards.outcome(2, new int[] {2, 2}, new double[] {1, 1},
                new double[][] {{-0.1, -0.2}, {-0.05, -0.05}});
        assertEquals(0.7, r.total(0), 1e-12);
        double[][] a = new GrpoAdvantage().advantages(r, ScaleRewards.NONE);
        assertArrayEquals(new double[] {-0.1, 0.1}, first(a), 1e-12);
        assertArrayEquals(new double[] {-0.2, 0.2}, first(new RlooAdvantage().advantages(r, ScaleRewards.NONE)), 1e-12);
    }

    @Test
    void scaleRewardsAcceptsTrlsSpellings() {
        assertEquals(ScaleRewards.GROUP, ScaleRewards.parse("true"));
        assertEquals(ScaleRewards.NONE, ScaleRewards.parse("false"));
        assertEquals(ScaleRewards.BATCH, ScaleRewards.parse("batch"));
        assertThrows(BadInputException.class, () -> ScaleRewards.parse("sometimes"));
    }

    @Test
    void unknownEstimatorListsTheKnownOnes() {
        BadInputException e = assertThrows(BadInputException.class, () -> AdvantageEstimators.get("gae"));
        assertEquals("unknown advantage_estimator 'gae' (known: grpo, rloo, reinforce_plus_plus, "
                + "reinforce_plus_plus_baseline)", e.getMessage());
    }
}
