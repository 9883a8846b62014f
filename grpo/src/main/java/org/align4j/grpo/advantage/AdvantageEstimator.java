package org.align4j.grpo.advantage;

/**
 * Turns the rewards of a step's completions into per-token advantages ({@code advantage_estimator}, verl's names
 * and definitions); {@link AdvantageEstimators} lists them. A new estimator is one class implementing this,
 * registered there, with its test.
 */
public interface AdvantageEstimator {

    /** The {@code advantage_estimator} value that selects it. */
    String name();

    /** One line: what it computes. */
    String description();

    /** The paper it comes from. */
    String paper();

    /** Whether it reads per-step rewards (process supervision); those that do not need one reward per completion. */
    boolean acceptsProcessRewards();

    /** Per completion and token, its advantage; abstained completions get 0. */
    double[][] advantages(CompletionRewards rewards, ScaleRewards scale);
}
