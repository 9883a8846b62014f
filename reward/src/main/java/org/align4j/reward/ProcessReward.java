package org.align4j.reward;

import java.util.List;

/**
 * Scores the reasoning steps of completions: per input, one value per step together with the
 * completion token index where that step ends ({@link StepRewards}), or {@code null} to abstain.
 * Steps are newline-separated lines of the completion ({@link ReasoningSteps}).
 */
public interface ProcessReward extends AutoCloseable {

    /** Short name used in logs and metrics. */
    String name();

    /** One entry per input, in input order; {@code null} means abstain. */
    List<StepRewards> score(List<RewardInput> batch);

    @Override
    default void close() {
    }
}
