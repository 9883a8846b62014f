package org.align4j.grpo.loss;

/**
 * The clipping settings: ratios are clipped to [1 - epsilon, 1 + epsilonHigh], and with two-sided clipping
 * (INTELLECT-2, TRL's {@code delta}) the unclipped ratio is also capped at delta. CISPO uses epsilonHigh as the
 * cap of its stop-gradient weight.
 *
 * @param delta the cap of the unclipped ratio; {@code Double.POSITIVE_INFINITY} when two-sided clipping is off
 */
public record ClipRange(double epsilon, double epsilonHigh, double delta) {
    public ClipRange {
        if (!(epsilon >= 0) || !(epsilonHigh >= 0)) {
            throw new IllegalArgumentException("epsilon and epsilon_high must be >= 0");
        }
        if (!(delta > 0)) {
            throw new IllegalArgumentException("delta must be positive, got " + delta);
        }
    }

    /** One-sided clipping (no delta). */
    public static ClipRange of(double epsilon, double epsilonHigh) {
        return new ClipRange(epsilon, epsilonHigh, Double.POSITIVE_INFINITY);
    }
}
