package org.align4j.reward;

import java.util.Map;

/**
 * The reward a multi-turn environment gave each completion at the end of its episode
 * ({@link org.align4j.rollout.tool.Environment#reward()}), as a reward function like the others: weighted in
 * GRPO's {@code rewards} list and logged as {@code rewards/environment/mean}. It abstains where the environment
 * gave none (a single-turn completion, or plain tool use).
 *
 * <p>Config: {@code {type: environment, weight: 1.0}} (no other keys).
 */
public final class EnvironmentReward implements PerCompletionReward {

    public static final String TYPE = "environment";

    public EnvironmentReward(Map<String, Object> params) {
        new RewardParams(TYPE, params).allowOnly();
    }

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public Double scoreOne(RewardInput input) {
        return input.environmentReward();
    }
}
