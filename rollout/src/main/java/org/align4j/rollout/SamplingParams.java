package org.align4j.rollout;

import java.util.List;

/**
 * How completions are sampled, with the names and defaults of TRL's GRPOConfig ({@code temperature},
 * {@code top_p}, {@code top_k}, {@code max_completion_length}) plus stop strings and the seed.
 *
 * <p>A temperature of 0 means greedy decoding (argmax, ties to the lowest id). Otherwise logits are divided
 * by the temperature, then top-k keeps the k most likely tokens (0 turns it off) and top-p keeps, of those,
 * the smallest most-likely set whose probability reaches top_p (1 turns it off), as Hugging Face's
 * logits warpers do. The seed fixes every random draw: each completion has its own generator derived from
 * (seed, prompt index, index in the group), so results do not depend on how sequences are batched.
 *
 * @param temperature         softmax temperature, >= 0 (0: greedy)
 * @param topP                nucleus mass in (0, 1]
 * @param topK                keep the k most likely tokens; 0 keeps all
 * @param maxCompletionLength most new tokens per completion, >= 1
 * @param stop                stop strings: the completion's text is cut right before the first one
 * @param seed                seed of all random draws
 */
public record SamplingParams(double temperature, double topP, int topK, int maxCompletionLength, List<String> stop,
                             long seed) {

    /** TRL's GRPOConfig defaults: temperature 1, top_p 1, top_k off, 256 new tokens; no stop strings, seed 0. */
    public static final SamplingParams DEFAULTS = new SamplingParams(1.0, 1.0, 0, 256, List.of(), 0);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 is greedy), got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 turns it off), got " + topK);
        }
        if (maxCompletionLength < 1) {
            throw new IllegalArgumentException("max_completion_length must be >= 1, got " + maxCompletionLength);
        }
        stop = List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /** Greedy decoding of up to maxCompletionLength tokens. */
    public static SamplingParams greedy(int maxCompletionLength) {
        return DEFAULTS.withTemperature(0).withMaxCompletionLength(maxCompletionLength);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingParams withTemperature(double t) {
        return new SamplingParams(t, topP, topK, maxCompletionLength, stop, seed);
    }

    public SamplingParams withTopP(double p) {
        return new SamplingParams(temperature, p, topK, maxCompletionLength, stop, seed);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, topP, k, maxCompletionLength, stop, seed);
    }

    public SamplingParams withMaxCompletionLength(int n) {
        return new SamplingParams(temperature, topP, topK, n, stop, seed);
    }

    public SamplingParams withStop(List<String> s) {
        return new SamplingParams(temperature, topP, topK, maxCompletionLength, s, seed);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topP, topK, maxCompletionLength, stop, s);
    }
}
