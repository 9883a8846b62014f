package org.align4j.grpo.advantage;

/**
 * {@code reinforce_plus_plus}: no baseline and no critic. Each token's return is the sum of the token-level
 * rewards from it to the end (step rewards at their end tokens, the KL penalty at every token when kl_in_reward;
 * discount 1), and the returns of all tokens of the batch are whitened together (verl's masked_whiten).
 */
public final class ReinforcePlusPlusAdvantage implements AdvantageEstimator {
    @Override
    public String name() {
        return "reinforce_plus_plus";
    }

    @Override
    public String description() {
        return "return-to-go of the token-level rewards, whitened over all tokens of the batch";
    }

    @Override
    public String paper() {
        return "Hu 2025, REINFORCE++ (arXiv:2501.03262)";
    }

    @Override
    public boolean acceptsProcessRewards() {
        return true;
    }

    @Override
    public double[][] advantages(CompletionRewards r, ScaleRewards scale) {
        int n = r.size();
        double[][] returns = new double[n][];
        for (int i = 0; i < n; i++) {
            if (!r.scored(i)) {
                continue;
            }
            double[] tokens = r.tokenLevel(i);
            returns[i] = new double[tokens.length];
            double running = 0;
            for (int t = tokens.length - 1; t >= 0; t--) {
                running += tokens[t];
                returns[i][t] = running;
            }
        }
        Statistics.whiten(returns);
        for (int i = 0; i < n; i++) {
            if (returns[i] == null) {
                returns[i] = new double[r.lengths[i]];
            }
        }
        return returns;
    }
}
