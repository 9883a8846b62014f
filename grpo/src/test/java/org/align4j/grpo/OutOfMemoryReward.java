package org.align4j.grpo;

import java.util.List;
import java.util.concurrent.CompletionException;
import org.align4j.policy.ops.DeviceOutOfMemoryException;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;

/**
 * Test reward, loaded by class name: DigitShareReward's scores for the first 64 completions (two steps of
 * GrpoTrainerTest's config), then a GPU out-of-memory error, wrapped as one from another thread arrives.
 */
public final class OutOfMemoryReward implements OutcomeReward {
    private final DigitShareReward scores = new DigitShareReward();
    private int scored;

    @Override
    public String name() {
        return "digit_share";
    }

    @Override
    public List<Double> score(List<RewardInput> batch) {
        if (scored >= 64) {
            throw new CompletionException(new DeviceOutOfMemoryException("GPU", 3L << 30, 70L << 30));
        }
        scored += batch.size();
        return scores.score(batch);
    }

    @Override
    public void close() {
    }
}
