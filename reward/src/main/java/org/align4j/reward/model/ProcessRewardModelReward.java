package org.align4j.reward.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;
import org.align4j.reward.StepRewards;

/**
 * A process reward from a trained process reward model: for each step (non-blank line) of the completion,
 * sigmoid(score) at the token that ends it, the model's probability that the step is correct. Step ends are
 * reported in the caller's completion tokens ({@link RewardInput#tokenIndexEndingAt}), so GRPO can credit
 * each step's reward to the tokens up to it (DeepSeekMath's process supervision).
 *
 * <p>Config: {@code {type: process_reward_model, path: DIR, max_length: N}}.
 */
public final class ProcessRewardModelReward implements ProcessReward {
    public static final String TYPE = "process_reward_model";

    private final LoadedRewardModel model;

    public ProcessRewardModelReward(Map<String, Object> params) {
        RewardParams p = new RewardParams(TYPE, params).allowOnly("path", "max_length");
        this.model = new LoadedRewardModel(TYPE, p, RewardModelKind.PRM);
    }

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public List<StepRewards> score(List<RewardInput> batch) {
        LoadedRewardModel.Scored s = model.score(batch);
        List<StepRewards> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            RewardEncoder.Encoded e = s.encoded().get(i);
            int n = e.steps();
            double[] rewards = new double[n];
            int[] endTokens = new int[n];
            int[] endChars = e.stepEndChars().clone();
            for (int k = 0; k < n; k++) {
                rewards[k] = RewardModel.sigmoid(s.scores()[i][k]);
                endTokens[k] = batch.get(i).tokenIndexEndingAt(endChars[k]);
            }
            out.add(new StepRewards(rewards, endTokens, endChars));
        }
        return out;
    }
}
