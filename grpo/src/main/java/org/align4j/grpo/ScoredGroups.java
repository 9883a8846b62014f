package org.align4j.grpo;

import java.util.ArrayList;
import java.util.List;
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
 * The completions of one GRPO step, flattened group by group, with their rewards and per-token
 * advantages (outcome or process supervision).
 */
final class ScoredGroups {
    final List<Completion> completions = new ArrayList<>();
    final List<int[]> promptIds = new ArrayList<>();
    final double[] rewards;
    final double[][] advantages;
    final int groups;
    final int groupSize;
    int zeroStdGroups;
    WeightedScores perFunction;

    private ScoredGroups(List<CompletionGroup> gs) {
        groups = gs.size();
        groupSize = gs.get(0).size();
        for (CompletionGroup g : gs) {
            for (Completion c : g.completions()) {
                completions.add(c);
                promptIds.add(g.prompt().ids());
            }
        }
        rewards = new double[completions.size()];
        advantages = new double[completions.size()][];
    }

    static List<RewardInput> inputs(List<CompletionGroup> gs, List<java.util.Map<String, Object>> rows,
                                    Tokenizer tokenizer) {
        List<RewardInput> in = new ArrayList<>();
        for (int p = 0; p < gs.size(); p++) {
            CompletionGroup g = gs.get(p);
            for (Completion c : g.completions()) {
                String text = c.text() == null ? "" : c.text();
                in.add(new RewardInput(g.prompt().text(), text, c.ids(), tokenEnds(c.ids(), text, tokenizer),
                        rows.get(p)));
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

    /** Outcome supervision: one weighted reward per completion, advantages normalised within each group. */
    static ScoredGroups outcome(List<CompletionGroup> gs, List<RewardInput> inputs, WeightedRewards rewards,
                                boolean scale) {
        ScoredGroups s = new ScoredGroups(gs);
        s.perFunction = rewards.score(inputs);
        double[] totals = s.perFunction.totals();
        System.arraycopy(totals, 0, s.rewards, 0, totals.length);
        for (int p = 0; p < s.groups; p++) {
            double[] r = java.util.Arrays.copyOfRange(s.rewards, p * s.groupSize, (p + 1) * s.groupSize);
            if (Advantages.zeroStd(r)) {
                s.zeroStdGroups++;
            }
            double[] a = Advantages.outcome(r, scale);
            for (int i = 0; i < s.groupSize; i++) {
                int k = p * s.groupSize + i;
                s.advantages[k] = new double[s.completions.get(k).length()];
                java.util.Arrays.fill(s.advantages[k], a[i]);
            }
        }
        return s;
    }

    /** Process supervision: per-step rewards normalised over the group, summed over later steps per token. */
    static ScoredGroups process(List<CompletionGroup> gs, List<RewardInput> inputs, ProcessReward reward,
                                boolean scale) {
        ScoredGroups s = new ScoredGroups(gs);
        List<StepRewards> steps = reward.score(inputs);
        for (int p = 0; p < s.groups; p++) {
            List<double[]> r = new ArrayList<>();
            List<int[]> ends = new ArrayList<>();
            int[] lengths = new int[s.groupSize];
            boolean allEqual = true;
            Double first = null;
            for (int i = 0; i < s.groupSize; i++) {
                int k = p * s.groupSize + i;
                StepRewards sr = steps.get(k);
                int len = s.completions.get(k).length();
                int[] e = sr.endTokens().clone();
                for (int j = 0; j < e.length; j++) {
                    e[j] = e[j] < 0 ? len - 1 : e[j];
                }
                r.add(sr.rewards());
                ends.add(e);
                lengths[i] = len;
                double mean = 0;
                for (double v : sr.rewards()) {
                    mean += v;
                    if (first == null) {
                        first = v;
                    } else if (v != first) {
                        allEqual = false;
                    }
                }
                s.rewards[k] = sr.size() == 0 ? 0 : mean / sr.size();
            }
            if (allEqual) {
                s.zeroStdGroups++;
            }
            double[][] adv = Advantages.process(r, ends, lengths, scale);
            for (int i = 0; i < s.groupSize; i++) {
                s.advantages[p * s.groupSize + i] = adv[i];
            }
        }
        return s;
    }
}
