package org.align4j.grpo;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;

/** Greedy accuracy on held-out prompts: the share whose greedy completion gets the full reward (1). */
public final class HeldOutAccuracy {
    private HeldOutAccuracy() {
    }

    public static double evaluate(CausalLM model, Tokenizer tokenizer, List<PromptRow> rows, OutcomeReward checker,
                                  int maxCompletionLength, List<String> stop) {
        List<Prompt> prompts = new ArrayList<>();
        for (PromptRow r : rows) {
            prompts.add(r.prompt());
        }
        Sampler sampler = new Sampler(model, tokenizer, 64);
        List<CompletionGroup> groups = sampler.sample(prompts, 1,
                SamplingParams.greedy(maxCompletionLength).withStop(stop));
        List<RewardInput> in = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            Completion c = groups.get(i).get(0);
            in.add(RewardInput.ofText(rows.get(i).prompt().text(), c.text(), rows.get(i).row()));
        }
        List<Double> scores = checker.score(in);
        int correct = 0;
        for (Double s : scores) {
            if (s != null && s >= 1.0) {
                correct++;
            }
        }
        return (double) correct / rows.size();
    }

}
