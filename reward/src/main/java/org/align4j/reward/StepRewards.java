package org.align4j.reward;

import java.util.Arrays;

/**
 * Per-step rewards of one completion. Step {@code k} has reward {@code reward(k)} and ends at
 * completion token {@code endToken(k)} (the token holding the step's last character; {@code -1}
 * when the input carried no token offsets) and at character {@code endChar(k)} (exclusive).
 */
public final class StepRewards {

    private final double[] rewards;
    private final int[] endTokens;
    private final int[] endChars;

    public StepRewards(double[] rewards, int[] endTokens, int[] endChars) {
        if (rewards.length != endTokens.length || rewards.length != endChars.length) {
            throw new IllegalArgumentException("rewards, endTokens and endChars differ in length: "
                    + rewards.length + ", " + endTokens.length + ", " + endChars.length);
        }
        this.rewards = rewards.clone();
        this.endTokens = endTokens.clone();
        this.endChars = endChars.clone();
    }

    public int size() {
        return rewards.length;
    }

    public double reward(int step) {
        return rewards[step];
    }

    public int endToken(int step) {
        return endTokens[step];
    }

    public int endChar(int step) {
        return endChars[step];
    }

    public double[] rewards() {
        return rewards.clone();
    }

    public int[] endTokens() {
        return endTokens.clone();
    }

    @Override
    public String toString() {
        return "StepRewards" + Arrays.toString(rewards) + "@tokens" + Arrays.toString(endTokens);
    }
}
