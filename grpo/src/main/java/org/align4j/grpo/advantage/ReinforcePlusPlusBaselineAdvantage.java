package org.align4j.grpo.advantage;

/**
 * {@code reinforce_plus_plus_baseline}: a completion's reward minus its group's mean reward, on every token, then
 * whitened over all tokens of the batch (verl). One reward per completion.
 */
public final class ReinforcePlusPlusBaselineAdvantage implements AdvantageEstimator {
    @Override
    public String name() {
        return "reinforce_plus_plus_baseline";
    }

    @Override
    public String description() {
        return "reward minus its group's mean, whitened over all tokens of the batch";
    }

    @Override
    public String paper() {
        return "Hu 2025, REINFORCE++ (arXiv:2501.03262)";
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
            // verl: a group of one keeps its reward (baseline 0)
            double mean = k > 1 ? sum / k : 0;
            for (int i = p * g; i < (p + 1) * g; i++) {
                if (r.scored(i)) {
                    adv[i] = new double[r.lengths[i]];
                    java.util.Arrays.fill(adv[i], r.total(i) - mean);
                }
            }
        }
        Statistics.whiten(adv);
        for (int i = 0; i < adv.length; i++) {
            if (adv[i] == null) {
                adv[i] = new double[r.lengths[i]];
            }
        }
        return adv;
    }
}
