package org.align4j.rollout;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * How the sampler picked tokens on the host before Ops.sampleTokens, kept as a reference (SampleTokensTest): it
 * agrees with the op except for top-p without top-k (see SampleTokensTest).
 *
 * <p>Picks the next token from one row of logits: greedy, or temperature then top-k then top-p (the order of
 * Hugging Face's logits warpers and vLLM), and reports log softmax(logits / temperature) of the pick
 * (temperature 1 when greedy), the log-prob a teacher-forced forward pass recomputes.
 *
 * <p>Work arrays are allocated once per vocabulary, so a decoding step allocates nothing. Truncation never
 * sorts the whole vocabulary for every token: top-k selects its k tokens with a heap, and top-p alone sorts
 * only the tokens above a probability threshold lowered until they are known to hold the nucleus.
 * Not thread-safe.
 */
final class NextTokenSampler {
    /** First candidate threshold relative to the most likely token, and the factor it is lowered by. */
    private static final double FIRST_THRESHOLD = 1e-4;
    private static final double THRESHOLD_STEP = 1e-6;

    private final int vocab;
    private final double[] weights;
    private final long[] keys;
    private final boolean greedy;
    private final double invTemperature;
    private final int topK;
    private final double topP;
    private double lastLogProb;

    NextTokenSampler(int vocab, SamplingParams params) {
        this.vocab = vocab;
        this.weights = new double[vocab];
        this.keys = new long[vocab];
        this.greedy = params.isGreedy();
        this.invTemperature = greedy ? 1.0 : 1.0 / params.temperature();
        this.topK = params.topK() >= vocab ? 0 : params.topK();
        this.topP = params.topP();
    }

    /** Log-prob of the token the last call to {@link #next} returned. */
    double lastLogProb() {
        return lastLogProb;
    }

    /** Chooses a token from logits[offset, offset + vocab); rng is not touched when greedy. */
    int next(float[] logits, int offset, RandomGenerator rng) {
        float max = Float.NEGATIVE_INFINITY;
        int argmax = 0;
        for (int i = 0; i < vocab; i++) {
            float l = logits[offset + i];
            if (l > max) {
                max = l;
                argmax = i;
            }
        }
        // weights[i] = exp((l_i - max) / T): unnormalised probabilities, the largest is exactly 1.
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double w = Math.exp((logits[offset + i] - (double) max) * invTemperature);
            weights[i] = w;
            sum += w;
        }
        double logZ = Math.log(sum);
        int token;
        if (greedy) {
            token = argmax;
        } else if (topK == 0 && topP >= 1) {
            token = drawAll(rng.nextDouble() * sum);
        } else {
            token = drawTruncated(rng);
        }
        lastLogProb = (logits[offset + token] - (double) max) * invTemperature - logZ;
        return token;
    }

    /** Inverse-CDF draw over the whole vocabulary; u is uniform in [0, sum of weights). */
    private int drawAll(double u) {
        double cum = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            double w = weights[i];
            if (w > 0) {
                cum += w;
                last = i;
                if (u < cum) {
                    return i;
                }
            }
        }
        return last; // u fell past the sum by rounding
    }

    private int drawTruncated(RandomGenerator rng) {
        int n = sortedCandidates();
        int keep = topK > 0 ? Math.min(n, topK) : n;
        if (topP < 1) {
            double total = 0;
            for (int j = 0; j < keep; j++) {
                total += weights[tokenAt(j)];
            }
            // Keep the most likely tokens until their mass reaches top_p (at least one), as HF's TopPLogitsWarper.
            double target = topP * total;
            double cum = 0;
            int kept = 0;
            while (kept < keep && (kept == 0 || cum < target)) {
                cum += weights[tokenAt(kept)];
                kept++;
            }
            keep = kept;
        }
        double mass = 0;
        for (int j = 0; j < keep; j++) {
            mass += weights[tokenAt(j)];
        }
        double u = rng.nextDouble() * mass;
        double cum = 0;
        for (int j = 0; j < keep; j++) {
            cum += weights[tokenAt(j)];
            if (u < cum) {
                return tokenAt(j);
            }
        }
        return tokenAt(keep - 1);
    }

    /**
     * Sorts into keys[0, n) a set of the most likely tokens that surely holds the kept set, most likely
     * first (ties: lowest id first), and returns n. With top-k these are the k most likely (a heap over the
     * vocabulary); with top-p only, the tokens above a threshold that is lowered until they hold mass >= top_p,
     * so that the nucleus is a prefix of them.
     */
    private int sortedCandidates() {
        int n = topK > 0 ? topKCandidates() : nucleusCandidates();
        Arrays.sort(keys, 0, n);
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
        return n;
    }

    /** Ascending key order = ascending weight, then descending id (read back from the end). */
    private long key(int token) {
        return ((long) Float.floatToRawIntBits((float) weights[token]) << 32) | (Integer.MAX_VALUE - token);
    }

    private int tokenAt(int j) {
        return Integer.MAX_VALUE - (int) keys[j];
    }

    /** The top_k largest keys, kept in a min-heap in keys[0, topK). */
    private int topKCandidates() {
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            long key = key(i);
            if (n < topK) {
                int c = n++;
                keys[c] = key;
                while (c > 0 && keys[(c - 1) / 2] > keys[c]) {
                    swap(c, (c - 1) / 2);
                    c = (c - 1) / 2;
                }
            } else if (key > keys[0]) {
                keys[0] = key;
                int c = 0;
                while (true) {
                    int l = 2 * c + 1;
                    int r = l + 1;
                    int m = c;
                    if (l < n && keys[l] < keys[m]) {
                        m = l;
                    }
                    if (r < n && keys[r] < keys[m]) {
                        m = r;
                    }
                    if (m == c) {
                        break;
                    }
                    swap(c, m);
                    c = m;
                }
            }
        }
        return n;
    }

    private int nucleusCandidates() {
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            total += weights[i];
        }
        double threshold = FIRST_THRESHOLD;
        while (true) {
            int n = 0;
            double mass = 0;
            boolean all = threshold < Double.MIN_NORMAL;
            for (int i = 0; i < vocab; i++) {
                double w = weights[i];
                if (w >= threshold || all) {
                    keys[n++] = key(i);
                    mass += w;
                }
            }
            if (all || mass >= topP * total) {
                return n;
            }
            threshold *= THRESHOLD_STEP;
        }
    }

    private void swap(int a, int b) {
        long t = keys[a];
        keys[a] = keys[b];
        keys[b] = t;
    }
}
