package org.align4j.reward.math;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.ReasoningSteps;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;
import org.align4j.reward.StepRewards;

/**
 * A rule-based process reward for math: every line that states arithmetic
 * ({@code 3 + 5 = 8}, see {@link ArithmeticClaims}) is a step scored 1 when all its claims
 * recompute exactly and 0 otherwise; the last line is always a step, and its score also requires
 * the completion's final answer to match the row's reference (when the row has one). Lines without
 * arithmetic and not last are not steps: there is nothing to check in them, and their tokens are
 * credited with the next checked step.
 *
 * <p>Config: {@code {type: math_steps, answer_key: answer}}.
 */
public final class ArithmeticStepReward implements ProcessReward {

    public static final String TYPE = "math_steps";

    private final String answerKey;

    public ArithmeticStepReward() {
        this(Map.of());
    }

    public ArithmeticStepReward(Map<String, Object> params) {
        RewardParams p = new RewardParams(TYPE, params).allowOnly("answer_key");
        this.answerKey = p.string("answer_key", "answer");
    }

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public List<StepRewards> score(List<RewardInput> batch) {
        List<StepRewards> out = new ArrayList<>(batch.size());
        for (RewardInput input : batch) {
            out.add(score(input));
        }
        return out;
    }

    private StepRewards score(RewardInput input) {
        List<ReasoningSteps.Step> lines = ReasoningSteps.split(input.completion());
        Object reference = input.row().get(answerKey);
        List<Double> rewards = new ArrayList<>();
        List<Integer> endChars = new ArrayList<>();
        for (int k = 0; k < lines.size(); k++) {
            ReasoningSteps.Step line = lines.get(k);
            boolean last = k == lines.size() - 1;
            List<ArithmeticClaims.Claim> claims = ArithmeticClaims.find(line.text());
            if (claims.isEmpty() && !(last && reference != null)) {
                continue;
            }
            boolean ok = claims.stream().allMatch(ArithmeticClaims.Claim::holds);
            if (last && reference != null) {
                Optional<FinalAnswer> answer = FinalAnswer.extract(input.completion());
                ok &= answer.isPresent() && MathAnswerReward.sameAnswer(answer.get().text(), reference);
            }
            rewards.add(ok ? 1.0 : 0.0);
            endChars.add(line.end());
        }
        double[] r = rewards.stream().mapToDouble(Double::doubleValue).toArray();
        int[] chars = endChars.stream().mapToInt(Integer::intValue).toArray();
        int[] tokens = new int[chars.length];
        for (int k = 0; k < chars.length; k++) {
            tokens[k] = input.tokenIndexEndingAt(chars[k]);
        }
        return new StepRewards(r, tokens, chars);
    }
}
