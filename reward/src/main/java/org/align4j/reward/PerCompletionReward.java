package org.align4j.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * An {@link OutcomeReward} that scores each completion on its own (no batched forward pass), so that its
 * implementations write the rule for one input and share the loop over the batch.
 */
public interface PerCompletionReward extends OutcomeReward {

    /** The value for one input; {@code null} means abstain. */
    Double scoreOne(RewardInput input);

    @Override
    default List<Double> score(List<RewardInput> batch) {
        List<Double> out = new ArrayList<>(batch.size());
        for (RewardInput input : batch) {
            out.add(scoreOne(input));
        }
        return out;
    }
}
