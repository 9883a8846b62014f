package org.align4j.grpo.advantage;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code grpo}: group-relative advantages (DeepSeekMath 4.1.2 and 4.1.3). Each reward is centred on the mean of
 * its prompt's group and divided by the group's (or the batch's, or no) standard deviation plus 1e-4, as
 * {@code scale_rewards} says; a token's advantage is the sum of the normalised rewards of the steps that end at
 * or after it, so with one reward per completion every token gets (r - mean) / (std + 1e-4). A group whose
 * rewards are all equal gets 0.
 */
public final class GrpoAdvantage implements AdvantageEstimator {
    @Override
    public String name() {
        return "grpo";
    }

    @Override
    public String description() {
        return "reward minus its group's mean, over the group's (or batch's) std; step rewards summed over later steps";
    }

    @Override
    public String paper() {
        return "Shao et al. 2024, DeepSeekMath (arXiv:2402.03300)";
    }

    @Override
    public boolean acceptsProcessRewards() {
        return true;
    }

    @Override
    public double[][] advantages(CompletionRewards r, ScaleRewards scale) {
        int n = r.size();
        int g = r.groupSize();
        double[][] steps = new double[n][];
        for (int i = 0; i < n; i++) {
            steps[i] = r.scored(i) ? r.stepRewardsWithTokens(i) : null;
        }
        double batchStd = Statistics.sampleStd(flatten(steps, 0, n));
        double[][] adv = new double[n][];
        for (int p = 0; p < r.groups(); p++) {
            double[] all = flatten(steps, p * g, (p + 1) * g);
            double mean = Statistics.mean(all);
            double std = scale == ScaleRewards.BATCH ? batchStd : Statistics.sampleStd(all);
            for (int i = p * g; i < (p + 1) * g; i++) {
                adv[i] = new double[r.lengths[i]];
                if (steps[i] == null) {
                    continue;
                }
                // suffix sums over steps, walked from the last token backwards
                double running = 0;
                int step = steps[i].length - 1;
                for (int t = r.lengths[i] - 1; t >= 0; t--) {
                    while (step >= 0 && r.stepEnds[i][step] >= t) {
                        double centred = steps[i][step] - mean;
                        running += scale == ScaleRewards.NONE ? centred : centred / (std + Statistics.STD_EPS);
                        step--;
                    }
                    adv[i][t] = running;
                }
            }
        }
        return adv;
    }

    private static double[] flatten(double[][] steps, int from, int to) {
        List<Double> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            if (steps[i] != null) {
                for (double v : steps[i]) {
                    out.add(v);
                }
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
