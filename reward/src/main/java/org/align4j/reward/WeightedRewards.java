package org.align4j.reward;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several outcome rewards combined with weights, the way TRL's GRPO trainer combines its
 * {@code reward_funcs} with {@code reward_weights}: an abstention ({@code null}) is NaN and the
 * total is the nan-sum of {@code weight * reward}, so an abstaining function simply contributes
 * nothing. A row where every function abstains gets total 0 and a warning (TRL warns the same way
 * and its nansum yields 0).
 */
public final class WeightedRewards implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WeightedRewards.class);

    private final List<OutcomeReward> rewards;
    private final double[] weights;

    public WeightedRewards(List<OutcomeReward> rewards, List<Double> weights) {
        if (rewards.isEmpty()) {
            throw new IllegalArgumentException("at least one reward function is needed");
        }
        if (rewards.size() != weights.size()) {
            throw new IllegalArgumentException(rewards.size() + " reward functions but " + weights.size() + " weights");
        }
        this.rewards = List.copyOf(rewards);
        this.weights = weights.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** All weights 1, as TRL does when {@code reward_weights} is not set. */
    public static WeightedRewards unweighted(List<OutcomeReward> rewards) {
        return new WeightedRewards(rewards, rewards.stream().map(r -> 1.0).toList());
    }

    public List<String> names() {
        return rewards.stream().map(OutcomeReward::name).toList();
    }

    public WeightedScores score(List<RewardInput> batch) {
        int n = batch.size();
        List<List<Double>> perFunction = new ArrayList<>();
        for (OutcomeReward reward : rewards) {
            List<Double> values = reward.score(batch);
            if (values == null || values.size() != n) {
                throw new IllegalStateException("reward '" + reward.name() + "' returned "
                        + (values == null ? "null" : values.size() + " values") + " for a batch of " + n);
            }
            perFunction.add(new ArrayList<>(values));
        }
        double[] totals = new double[n];
        int allAbstained = 0;
        int firstAbstained = -1;
        for (int row = 0; row < n; row++) {
            boolean any = false;
            for (int f = 0; f < rewards.size(); f++) {
                Double value = perFunction.get(f).get(row);
                if (value != null && !value.isNaN()) {
                    totals[row] += weights[f] * value;
                    any = true;
                }
            }
            if (!any) {
                allAbstained++;
                firstAbstained = firstAbstained < 0 ? row : firstAbstained;
            }
        }
        if (allAbstained > 0) {
            LOG.warn("All reward functions abstained for {} of {} rows (first: row {}, prompt starts '{}'); those rows "
                    + "get reward 0. Make sure at least one reward function applies to every row.",
                    allAbstained, n, firstAbstained, abbreviate(batch.get(firstAbstained).prompt()));
        }
        return new WeightedScores(names(), perFunction, totals);
    }

    @Override
    public void close() {
        for (OutcomeReward reward : rewards) {
            reward.close();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
