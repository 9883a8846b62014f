package org.align4j.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.grpo.advantage.AdvantageEstimator;
import org.align4j.grpo.advantage.CompletionRewards;
import org.align4j.grpo.advantage.ScaleRewards;
import org.align4j.policy.tokenizer.StreamingDecoder;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.align4j.reward.WeightedRewards;
import org.align4j.reward.WeightedScores;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;

/**
 * The completions of one GRPO step, flattened group by group, with their rewards (one per completion, or one per
 * reasoning step) and, once {@link #computeAdvantages} ran, their per-token advantages. A completion whose rewards
 * all abstained has reward NaN and null step rewards: the estimators leave it out and give it advantage 0.
 */
final class ScoredGroups {
    final List<Completion> completions = new ArrayList<>();
    final List<int[]> promptIds = new ArrayList<>();
    final List<String> promptTexts = new ArrayList<>();
    /** Per completion: its reward (the mean of its step rewards under process supervision); NaN: abstained. */
    final double[] rewards;
    /** Per completion, the rewards of its steps (one at the last token for outcome supervision); null: abstained. */
    final double[][] stepRewards;
    final int[][] stepEnds;
    /** Reward function names and, per function, each completion's raw value (null: abstained); empty for process. */
    final List<String> functionNames;
    final List<Double[]> functionValues;
    final int groups;
    final int groupSize;
    double[][] advantages;

    private ScoredGroups(List<CompletionGroup> gs, List<String> functionNames) {
        groups = gs.size();
        groupSize = gs.isEmpty() ? 0 : gs.get(0).size();
        for (CompletionGroup g : gs) {
            for (Completion c : g.completions()) {
                completions.add(c);
                promptIds.add(g.prompt().ids());
                promptTexts.add(g.prompt().text());
            }
        }
        rewards = new double[completions.size()];
        stepRewards = new double[completions.size()][];
        stepEnds = new int[completions.size()][];
        this.functionNames = functionNames;
        this.functionValues = new ArrayList<>();
    }

    static List<RewardInput> inputs(List<CompletionGroup> gs, List<Map<String, Object>> rows, Tokenizer tokenizer) {
        List<RewardInput> in = new ArrayList<>();
        for (int p = 0; p < gs.size(); p++) {
            CompletionGroup g = gs.get(p);
            for (Completion c : g.completions()) {
                String text = c.text() == null ? "" : c.text();
                in.add(new RewardInput(g.prompt().text(), text, c.ids(), tokenEnds(c.ids(), text, tokenizer),
                        rows.get(p), c.environmentReward()));
            }
        }
        return in;
    }

    /** Character offset in text where each token ends (clamped to the text, which a stop string may cut). */
    static int[] tokenEnds(int[] ids, String text, Tokenizer tokenizer) {
        int[] ends = new int[ids.length];
        StreamingDecoder dec = tokenizer.streamingDecoder(true);
        int len = 0;
        for (int i = 0; i < ids.length; i++) {
            len += dec.next(ids[i]).length();
            ends[i] = Math.min(len, text.length());
        }
        return ends;
    }

    /**
     * Outcome supervision: one weighted reward per completion at its last token. A completion for which every
     * function abstained is unscorable (TRL): NaN, left out of the baselines.
     */
    static ScoredGroups outcome(List<CompletionGroup> gs, List<RewardInput> inputs, WeightedRewards rewards) {
        WeightedScores scores = rewards.score(inputs);
        ScoredGroups s = new ScoredGroups(gs, scores.names());
        for (int f = 0; f < scores.names().size(); f++) {
            s.functionValues.add(scores.values(f).toArray(new Double[0]));
        }
        for (int k = 0; k < s.completions.size(); k++) {
            boolean any = false;
            for (int f = 0; f < scores.names().size(); f++) {
                Double v = scores.value(f, k);
                any |= v != null && !v.isNaN();
            }
            s.rewards[k] = any ? scores.total(k) : Double.NaN;
            s.stepRewards[k] = any ? new double[] {scores.total(k)} : null;
            s.stepEnds[k] = new int[] {Math.max(0, s.completions.get(k).length() - 1)};
        }
        return s;
    }

    /**
     * Process supervision: the reward of each reasoning step, at the token where it ends (a step end of -1 is the
     * last token). A completion the process reward abstains on (null) is unscorable.
     */
    static ScoredGroups process(List<CompletionGroup> gs, List<RewardInput> inputs, ProcessReward reward) {
        ScoredGroups s = new ScoredGroups(gs, List.of());
        List<StepRewards> steps = reward.score(inputs);
        for (int k = 0; k < s.completions.size(); k++) {
            StepRewards sr = steps.get(k);
            int len = s.completions.get(k).length();
            if (sr == null) {
                s.rewards[k] = Double.NaN;
                s.stepEnds[k] = new int[0];
                continue;
            }
            int[] e = sr.endTokens().clone();
            for (int j = 0; j < e.length; j++) {
                e[j] = e[j] < 0 ? len - 1 : Math.min(e[j], Math.max(0, len - 1));
            }
            s.stepRewards[k] = sr.rewards();
            s.stepEnds[k] = e;
            s.rewards[k] = sr.size() == 0 ? 0 : Arrays.stream(sr.rewards()).average().orElse(0);
        }
        return s;
    }

    /** Whether all scored rewards of group p (every step reward, for process supervision) are equal. */
    boolean zeroStd(int p) {
        Double first = null;
        for (int k = p * groupSize; k < (p + 1) * groupSize; k++) {
            if (stepRewards[k] == null) {
                continue;
            }
            for (double v : stepRewards[k]) {
                if (first == null) {
                    first = v;
                } else if (v != first) {
                    return false;
                }
            }
        }
        return true;
    }

    int zeroStdGroups() {
        int n = 0;
        for (int p = 0; p < groups; p++) {
            n += zeroStd(p) ? 1 : 0;
        }
        return n;
    }

    /** The groups whose rewards differ (DAPO's dynamic sampling keeps only these), at most limit of them. */
    ScoredGroups informative(int limit) {
        List<Integer> keep = new ArrayList<>();
        for (int p = 0; p < groups && keep.size() < limit; p++) {
            if (!zeroStd(p)) {
                keep.add(p);
            }
        }
        return select(keep);
    }

    /** The first count groups. */
    ScoredGroups firstGroups(int count) {
        List<Integer> keep = new ArrayList<>();
        for (int p = 0; p < Math.min(count, groups); p++) {
            keep.add(p);
        }
        return select(keep);
    }

    private ScoredGroups select(List<Integer> keep) {
        ScoredGroups s = new ScoredGroups(functionNames, keep.size(), groupSize);
        int k = 0;
        for (int p : keep) {
            for (int i = p * groupSize; i < (p + 1) * groupSize; i++, k++) {
                s.copyFrom(this, i, k);
            }
        }
        for (Double[] values : functionValues) {
            Double[] sub = new Double[keep.size() * groupSize];
            int j = 0;
            for (int p : keep) {
                for (int i = p * groupSize; i < (p + 1) * groupSize; i++) {
                    sub[j++] = values[i];
                }
            }
            s.functionValues.add(sub);
        }
        return s;
    }

    /** The groups of a, then those of b (same reward functions and group size). */
    static ScoredGroups concat(ScoredGroups a, ScoredGroups b) {
        if (a.groups == 0) {
            return b;
        }
        if (b.groups == 0) {
            return a;
        }
        ScoredGroups s = new ScoredGroups(a.functionNames, a.groups + b.groups, a.groupSize);
        int n = a.completions.size();
        for (int i = 0; i < n; i++) {
            s.copyFrom(a, i, i);
        }
        for (int i = 0; i < b.completions.size(); i++) {
            s.copyFrom(b, i, n + i);
        }
        for (int f = 0; f < a.functionValues.size(); f++) {
            Double[] joined = Arrays.copyOf(a.functionValues.get(f), n + b.completions.size());
            System.arraycopy(b.functionValues.get(f), 0, joined, n, b.completions.size());
            s.functionValues.add(joined);
        }
        return s;
    }

    /** groups x groupSize empty slots, filled by copyFrom. */
    private ScoredGroups(List<String> functionNames, int groups, int groupSize) {
        this.groups = groups;
        this.groupSize = groupSize;
        int n = groups * groupSize;
        for (int i = 0; i < n; i++) {
            completions.add(null);
            promptIds.add(null);
            promptTexts.add(null);
        }
        rewards = new double[n];
        stepRewards = new double[n][];
        stepEnds = new int[n][];
        this.functionNames = functionNames;
        this.functionValues = new ArrayList<>();
    }

    private void copyFrom(ScoredGroups o, int from, int to) {
        completions.set(to, o.completions.get(from));
        promptIds.set(to, o.promptIds.get(from));
        promptTexts.set(to, o.promptTexts.get(from));
        rewards[to] = o.rewards[from];
        stepRewards[to] = o.stepRewards[from];
        stepEnds[to] = o.stepEnds[from];
    }

    int[] lengths() {
        int[] l = new int[completions.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = completions.get(i).length();
        }
        return l;
    }

    /**
     * Sets the per-token advantages.
     *
     * @param tokenRewards per completion and token, rewards added to the step rewards (the KL penalty with
     *                     kl_in_reward, the overlong penalty at the last token); null for none
     */
    void computeAdvantages(AdvantageEstimator estimator, ScaleRewards scale, double[][] tokenRewards) {
        CompletionRewards r = new CompletionRewards(groupSize, lengths(), stepRewards, stepEnds, tokenRewards);
        advantages = estimator.advantages(r, scale);
    }
}
