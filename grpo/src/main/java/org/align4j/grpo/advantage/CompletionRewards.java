package org.align4j.grpo.advantage;

/**
 * The rewards of one step's completions, in groups of groupSize consecutive completions (one group per prompt),
 * as the advantage estimators read them: each completion's rewards are attached to tokens, one per step (process
 * supervision) or one at the last token (outcome supervision), as verl's token-level rewards. A completion whose
 * reward abstained has null rewards: it is left out of every baseline and statistic and gets advantage 0.
 */
public final class CompletionRewards {
    final int groupSize;
    final int[] lengths;
    final double[][] stepRewards;
    final int[][] stepEnds;
    final double[][] tokenRewards;

    /**
     * @param stepRewards  per completion, the reward of each step (null: abstained)
     * @param stepEnds     per completion, the token index where each step ends (ascending, within the completion)
     * @param tokenRewards per completion and token, a reward added at that token (the KL penalty -beta * kl_t when
     *                     kl_in_reward); null for none
     */
    public CompletionRewards(int groupSize, int[] lengths, double[][] stepRewards, int[][] stepEnds,
                             double[][] tokenRewards) {
        if (groupSize < 1 || lengths.length % groupSize != 0) {
            throw new IllegalArgumentException(lengths.length + " completions are not groups of " + groupSize);
        }
        if (stepRewards.length != lengths.length || stepEnds.length != lengths.length) {
            throw new IllegalArgumentException("one reward list and one step-end list per completion");
        }
        for (int i = 0; i < lengths.length; i++) {
            if (stepRewards[i] != null && stepRewards[i].length != stepEnds[i].length) {
                throw new IllegalArgumentException("completion " + i + ": " + stepRewards[i].length
                        + " step rewards but " + stepEnds[i].length + " step ends");
            }
        }
        this.groupSize = groupSize;
        this.lengths = lengths;
        this.stepRewards = stepRewards;
        this.stepEnds = stepEnds;
        this.tokenRewards = tokenRewards;
    }

    /**
     * Outcome supervision: one reward per completion at its last token; NaN means abstained.
     */
    public static CompletionRewards outcome(int groupSize, int[] lengths, double[] rewards, double[][] tokenRewards) {
        double[][] r = new double[lengths.length][];
        int[][] ends = new int[lengths.length][];
        for (int i = 0; i < lengths.length; i++) {
            r[i] = Double.isNaN(rewards[i]) ? null : new double[] {rewards[i]};
            ends[i] = new int[] {Math.max(0, lengths[i] - 1)};
        }
        return new CompletionRewards(groupSize, lengths, r, ends, tokenRewards);
    }

    public int size() {
        return lengths.length;
    }

    public int groups() {
        return lengths.length / groupSize;
    }

    public int groupSize() {
        return groupSize;
    }

    public boolean scored(int i) {
        return stepRewards[i] != null;
    }

    /** How many completions of group p were scored (did not abstain). */
    public int scoredCount(int p) {
        int k = 0;
        for (int i = p * groupSize; i < (p + 1) * groupSize; i++) {
            if (scored(i)) {
                k++;
            }
        }
        return k;
    }

    /** The sum of the sequence rewards ({@link #total}) of the scored completions of group p. */
    public double scoredSum(int p) {
        double sum = 0;
        for (int i = p * groupSize; i < (p + 1) * groupSize; i++) {
            if (scored(i)) {
                sum += total(i);
            }
        }
        return sum;
    }

    /** Whether every scored completion has at most one step (outcome supervision). */
    public boolean outcomeOnly() {
        for (double[] r : stepRewards) {
            if (r != null && r.length > 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * The completion's sequence reward: the sum of its step rewards and token rewards (verl's
     * token_level_rewards.sum(-1)); NaN when it abstained.
     */
    public double total(int i) {
        if (stepRewards[i] == null) {
            return Double.NaN;
        }
        double s = 0;
        for (double v : stepRewards[i]) {
            s += v;
        }
        if (tokenRewards != null) {
            for (double v : tokenRewards[i]) {
                s += v;
            }
        }
        return s;
    }

    /**
     * The step rewards with the token rewards of each step's tokens added to it: step j takes the tokens after the
     * end of step j - 1 up to its own end, the last step also those after its end.
     */
    double[] stepRewardsWithTokens(int i) {
        double[] r = stepRewards[i].clone();
        if (tokenRewards == null || r.length == 0) {
            return r;
        }
        int step = 0;
        for (int t = 0; t < tokenRewards[i].length; t++) {
            while (step < r.length - 1 && t > stepEnds[i][step]) {
                step++;
            }
            r[step] += tokenRewards[i][t];
        }
        return r;
    }

    /** Reward at each token: step rewards at their end tokens plus the token rewards (verl's token_level_rewards). */
    double[] tokenLevel(int i) {
        double[] r = new double[lengths[i]];
        if (tokenRewards != null) {
            System.arraycopy(tokenRewards[i], 0, r, 0, r.length);
        }
        for (int j = 0; j < stepRewards[i].length; j++) {
            if (r.length > 0) {
                r[Math.min(r.length - 1, stepEnds[i][j])] += stepRewards[i][j];
            }
        }
        return r;
    }
}
