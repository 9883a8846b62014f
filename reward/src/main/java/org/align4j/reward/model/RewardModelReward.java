package org.align4j.reward.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;

/**
 * An outcome reward from a trained outcome reward model: the model's score at the last token of prompt +
 * completion. By default the raw score (logit), as TRL's GRPO uses a reward model's output; with
 * {@code output: probability}, sigmoid(score), the probability that the completion is correct for a model
 * trained on outcome labels.
 *
 * <p>Config: {@code {type: reward_model, path: DIR, output: logit|probability, max_length: N}}.
 */
public final class RewardModelReward implements OutcomeReward {
    public static final String TYPE = "reward_model";

    /** What score() returns. */
    public enum Output { LOGIT, PROBABILITY }

    private final LoadedRewardModel model;
    private final Output output;

    public RewardModelReward(Map<String, Object> params) {
        RewardParams p = new RewardParams(TYPE, params).allowOnly("path", "output", "max_length");
        this.output = p.choice("output", Output.LOGIT);
        this.model = new LoadedRewardModel(TYPE, p, RewardModelKind.ORM);
    }

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public List<Double> score(List<RewardInput> batch) {
        double[][] s = model.score(batch).scores();
        List<Double> out = new ArrayList<>(batch.size());
        for (double[] row : s) {
            out.add(output == Output.PROBABILITY ? RewardModel.sigmoid(row[0]) : row[0]);
        }
        return out;
    }
}
