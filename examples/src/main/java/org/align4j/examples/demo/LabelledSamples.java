package org.align4j.examples.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.examples.io.Jsonl;
import org.align4j.examples.math.MathProblem;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.RewardInput;
import org.align4j.reward.math.MathAnswerReward;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;

/**
 * The first reward model's training data for iterative RL: the policy's own completions of training problems,
 * labelled 1 or 0 by the rule checker ({@code math_answer}). DeepSeekMath trains its reward model on the policy's
 * samples; here the checker stands in for the human or automatic labels, as it does for the fresh samples that
 * retrain the model between iterations.
 */
public final class LabelledSamples {

    /** What was written: rows, and how many of them are labelled correct. */
    public record Written(int rows, int correct) {
    }

    private LabelledSamples() {
    }

    /** Samples generations completions of each problem and writes rows {prompt, completion, label} to file. */
    public static Written write(CausalLM policy, Tokenizer tokenizer, List<MathProblem> problems, int generations,
                                SamplingParams params, Path file) {
        List<Prompt> prompts = new ArrayList<>();
        for (MathProblem p : problems) {
            prompts.add(new Prompt(p.id(), tokenizer.encode(p.prompt(), true), p.prompt()));
        }
        List<CompletionGroup> groups = new Sampler(policy, tokenizer, 256).sample(prompts, generations, params);
        List<RewardInput> inputs = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            for (Completion c : groups.get(i).completions()) {
                inputs.add(RewardInput.ofText(problems.get(i).prompt(), c.text(),
                        Map.of("answer", problems.get(i).answer())));
            }
        }
        List<Double> verdicts;
        try (MathAnswerReward checker = new MathAnswerReward()) {
            verdicts = checker.score(inputs);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        int correct = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int label = verdicts.get(i) != null && verdicts.get(i) >= 1.0 ? 1 : 0;
            correct += label;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", inputs.get(i).prompt());
            row.put("completion", inputs.get(i).completion());
            row.put("label", label);
            rows.add(row);
        }
        Jsonl.write(file, rows);
        return new Written(rows.size(), correct);
    }
}
