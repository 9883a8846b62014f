package org.align4j.grpo;

import java.util.List;

/**
 * Group-relative advantages (DeepSeekMath section 4.1.2 and 4.1.3). Rewards of the G completions of one
 * prompt are compared with each other only; a group whose rewards are all equal carries no signal and gets
 * advantage 0 (the small constant in the denominator keeps that free of NaN, as TRL does).
 */
public final class Advantages {
    static final double STD_EPS = 1e-4;

    private Advantages() {
    }

    /**
     * Outcome supervision: A_i = (r_i - mean(r)) / (std(r) + 1e-4) over the group, or r_i - mean(r) when
     * scaleRewards is false; every token of completion i gets A_i. std is the sample standard deviation
     * (n - 1), as torch.std and TRL compute it.
     */
    public static double[] outcome(double[] groupRewards, boolean scaleRewards) {
        int g = groupRewards.length;
        double mean = mean(groupRewards);
        double std = sampleStd(groupRewards, mean);
        double[] a = new double[g];
        for (int i = 0; i < g; i++) {
            double centered = groupRewards[i] - mean;
            a[i] = scaleRewards ? centered / (std + STD_EPS) : centered;
        }
        return a;
    }

    /** True when all rewards of the group are equal (TRL's frac_reward_zero_std counts these). */
    public static boolean zeroStd(double[] groupRewards) {
        for (double r : groupRewards) {
            if (r != groupRewards[0]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Process supervision: every step reward of the group is normalised by the mean and std of all step
     * rewards in the group; the advantage of token t is the sum of the normalised rewards of the steps
     * that end at or after t.
     *
     * @param stepRewards   per completion, the reward of each step
     * @param stepEnds      per completion, the completion-token index where each step ends (ascending)
     * @param lengths       per completion, its number of tokens
     */
    public static double[][] process(List<double[]> stepRewards, List<int[]> stepEnds, int[] lengths,
                                     boolean scaleRewards) {
        int total = 0;
        double sum = 0;
        for (double[] s : stepRewards) {
            for (double v : s) {
                sum += v;
                total++;
            }
        }
        double mean = total == 0 ? 0 : sum / total;
        double sq = 0;
        for (double[] s : stepRewards) {
            for (double v : s) {
                sq += (v - mean) * (v - mean);
            }
        }
        double std = total > 1 ? Math.sqrt(sq / (total - 1)) : 0;
        double[][] adv = new double[lengths.length][];
        for (int i = 0; i < lengths.length; i++) {
            adv[i] = new double[lengths[i]];
            double[] r = stepRewards.get(i);
            int[] ends = stepEnds.get(i);
            if (r.length != ends.length) {
                throw new IllegalArgumentException("completion " + i + ": " + r.length + " step rewards but "
                        + ends.length + " step ends");
            }
            // suffix sums over steps, walked from the last token backwards
            double running = 0;
            int step = r.length - 1;
            for (int t = lengths[i] - 1; t >= 0; t--) {
                while (step >= 0 && ends[step] >= t) {
                    double centered = r[step] - mean;
                    running += scaleRewards ? centered / (std + STD_EPS) : centered;
                    step--;
                }
                adv[i][t] = running;
            }
        }
        return adv;
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return x.length == 0 ? 0 : s / x.length;
    }

    static double sampleStd(double[] x, double mean) {
        if (x.length < 2) {
            return 0;
        }
        double s = 0;
        for (double v : x) {
            s += (v - mean) * (v - mean);
        }
        return Math.sqrt(s / (x.length - 1));
    }
}
