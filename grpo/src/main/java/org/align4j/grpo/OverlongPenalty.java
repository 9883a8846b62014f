package org.align4j.grpo;

/**
 * DAPO's overlong reward shaping (verl's overlong_buffer): a completion longer than max_completion_length -
 * overlong_buffer_length loses reward linearly, up to overlong_penalty at max_completion_length; shorter ones
 * lose nothing.
 */
public record OverlongPenalty(int bufferLength, double penalty, int maxCompletionLength) {

    public boolean enabled() {
        return bufferLength > 0;
    }

    /** The (non-positive) reward added to a completion of that many tokens. */
    public double of(int length) {
        if (!enabled()) {
            return 0;
        }
        int expected = maxCompletionLength - bufferLength;
        double exceed = length - expected;
        return Math.min(-exceed / bufferLength * penalty, 0.0);
    }
}
