package org.align4j.examples.eval;

import org.align4j.policy.util.BadInputException;

/**
 * How a model is evaluated: k of Maj@k and Pass@k, samples per problem (n >= k, more gives a
 * lower-variance Pass@k estimate), the sampling temperature and top-p of those samples, the completion
 * length limit, the seed of the samples, and how many sequences are decoded together.
 */
public record EvalSettings(int k, int samples, double temperature, double topP, int maxCompletionLength, long seed,
                           int maxBatchSequences) {

    /** DeepSeekMath's Maj@K/Pass@K figures sample at temperature 0.7. */
    public static final double DEFAULT_TEMPERATURE = 0.7;

    public EvalSettings {
        if (k < 1) {
            throw new BadInputException("k must be at least 1, got " + k);
        }
        if (samples < k) {
            throw new BadInputException("samples per problem (n = " + samples + ") must be at least k = " + k);
        }
        if (!(temperature > 0)) {
            throw new BadInputException("temperature must be positive for Maj@k and Pass@k samples, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new BadInputException("top_p must be in (0, 1], got " + topP);
        }
        if (maxCompletionLength < 1) {
            throw new BadInputException("max completion length must be at least 1, got " + maxCompletionLength);
        }
        if (maxBatchSequences < 1) {
            throw new BadInputException("batch must be at least 1 sequence, got " + maxBatchSequences);
        }
    }
}
