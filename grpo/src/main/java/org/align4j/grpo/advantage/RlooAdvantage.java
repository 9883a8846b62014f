package org.align4j.grpo.advantage;

/**
 * {@code rloo}: REINFORCE leave-one-out. A completion's advantage is its reward minus the mean reward of the
 * other completions of its group, r_i - (sum_j r_j - r_i) / (k - 1), on every token; a group with one scored
 * completion keeps its reward as the advantage (verl). One reward per completion.
 */
public final class RlooAdvantage implements AdvantageEstimator {
    @Override
    public String name() {
        return "rloo";
    }

    @Override
    public String description() {
        return "reward minus the mean reward of the other completions of its group";
    }

    @Override
    public String paper() {
        return "Ahmadian et al. 2024, Back to Basics: REINFORCE-style optimization (arXiv:2402.14740)";
    }

    @Override
    public boolean acceptsProcessRewards() {
        return false;
    }

    @Override
    public double[][] advantages(CompletionRewards r, ScaleRewards scale) {
        int g = r.groupSize();
        double[][] adv = new double[r.size()][];
        for (int p = 0; p < r.groups(); p++) {
            double sum = r.scoredSum(p);
            int k = r.scoredCount(p);
            for (int i = p * g; i < (p + 1) * g; i++) {
                adv[i] = new double[r.lengths[i]];
                if (!r.scored(i)) {
                    continue;
                }
                double own = r.total(i);
                double a = k > 1 ? own - (sum - own) / (k - 1) : own;
                java.util.Arrays.fill(adv[i], a);
            }
        }
        return adv;
    }
}
