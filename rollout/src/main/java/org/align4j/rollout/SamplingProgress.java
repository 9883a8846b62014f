package org.align4j.rollout;

/** Told after every decoding step, for progress bars and throughput figures; called on the sampling thread. */
@FunctionalInterface
public interface SamplingProgress {
    SamplingProgress NONE = (tokens, finished) -> { };

    /**
     * @param tokens   tokens sampled in this step
     * @param finished completions that ended in this step
     */
    void onStep(int tokens, int finished);
}
