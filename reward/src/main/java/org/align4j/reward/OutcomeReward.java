package org.align4j.reward;

import java.util.List;

/**
 * Scores whole completions: one value per input, or {@code null} where the reward does not apply
 * to that row (e.g. a code reward on a math row). Works on batches so that a learned reward model
 * can score a batch in one forward pass.
 *
 * <p>Implementations named in a config by {@code class:} need a public no-arg constructor or a
 * public constructor taking {@code Map<String, Object>} (the entry's other keys).
 */
public interface OutcomeReward extends AutoCloseable {

    /** Short name used in logs and per-function metrics. */
    String name();

    /** One value per input, in input order; {@code null} means abstain. */
    List<Double> score(List<RewardInput> batch);

    /** Releases pools or models; the default holds nothing. */
    @Override
    default void close() {
    }
}
