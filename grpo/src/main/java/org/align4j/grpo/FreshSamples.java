package org.align4j.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.ReasoningSteps;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.align4j.reward.model.train.StepLabels;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;

/**
 * Completions sampled from a policy for training prompts and labelled with rule checkers (the ground truth
 * of iterative RL), as reward-model training rows: {@code {prompt, completion, label}} for an outcome model,
 * {@code {prompt, completion, step_labels}} for a process model ({@link StepLabels}).
 */
final class FreshSamples {

    /**
     * The labelled rows, and the outcome verdicts over all samples a checker applied to: correct of labelled
     * (the policy's ground-truth accuracy).
     */
    record Labelled(List<Map<String, Object>> rows, int correct, int labelled, int sampled) {
        double accuracy() {
            return labelled == 0 ? Double.NaN : (double) correct / labelled;
        }
    }

    private FreshSamples() {
    }

    /**
     * Samples generations completions per prompt and labels them.
     *
     * @param stepChecker null for outcome rows; else the process checker giving step labels
     */
    static Labelled sample(CausalLM policy, Tokenizer tokenizer, List<PromptRow> prompts, int generations,
                           SamplingParams params, List<OutcomeReward> checkers, ProcessReward stepChecker,
                           String source) {
        List<Prompt> ps = new ArrayList<>();
        for (PromptRow r : prompts) {
            ps.add(r.prompt());
        }
        List<CompletionGroup> groups = new Sampler(policy, tokenizer, 64).sample(ps, generations, params);
        List<RewardInput> inputs = new ArrayList<>();
        for (int p = 0; p < groups.size(); p++) {
            for (Completion c : groups.get(p).completions()) {
                inputs.add(RewardInput.ofText(prompts.get(p).prompt().text(), c.text() == null ? "" : c.text(),
                        prompts.get(p).row()));
            }
        }
        List<List<Double>> verdicts = new ArrayList<>();
        for (OutcomeReward checker : checkers) {
            verdicts.add(checker.score(inputs));
        }
        List<StepRewards> steps = stepChecker == null ? null : stepChecker.score(inputs);
        List<Map<String, Object>> rows = new ArrayList<>();
        int correct = 0;
        int labelled = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Integer label = label(verdicts, i);
            if (label != null) {
                labelled++;
                correct += label;
            }
            RewardInput in = inputs.get(i);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", in.prompt());
            row.put("completion", in.completion());
            if (stepChecker == null) {
                if (label == null) {
                    continue;
                }
                row.put("label", label);
            } else {
                StepRewards s = steps.get(i);
                if (s == null || ReasoningSteps.split(in.completion()).isEmpty()) {
                    continue; // nothing a process model could be trained on
                }
                // rows are kept JSON-shaped (lists, not arrays): they are written out and replayed as JSON
                row.put("step_labels", Arrays.stream(StepLabels.prefixLabels(in.completion(), s)).boxed().toList());
            }
            row.put("source", source);
            rows.add(row);
        }
        return new Labelled(rows, correct, labelled, inputs.size());
    }

    /** 1 when every checker that applies gives the full reward, 0 when one gives less, null when none applies. */
    private static Integer label(List<List<Double>> verdicts, int i) {
        Integer label = null;
        for (List<Double> v : verdicts) {
            Double x = v.get(i);
            if (x != null && !x.isNaN()) {
                label = (label == null || label == 1) && x >= 1.0 ? 1 : 0;
            }
        }
        return label;
    }
}
