package org.align4j.policy.ops;

import java.util.Arrays;

/**
 * The CPU reference of {@link Ops#sampleTokens}: draws one token from one row of logits with a given uniform.
 *
 * <p>Work arrays are kept per vocabulary size, so a decoding step allocates nothing. Truncation never sorts the
 * whole vocabulary: top-k selects its k tokens with a heap, and top-p alone sorts only the tokens above a
 * weight threshold that is lowered until they are known to hold the nucleus. Not thread-safe (CpuOps keeps one
 * per thread).
 */
final class TokenDraw {
    /** First candidate threshold relative to the most likely token (whose weight is 1), and the factor it is lowered by. */
    private static final double FIRST_THRESHOLD = 1e-4;
    private static final double THRESHOLD_STEP = 1e-6;

    private double[] weights = new double[0];
    private long[] keys = new long[0];
    private double lastLogProb;

    /** Log-prob of the token the last call to {@link #draw} returned. */
    double lastLogProb() {
        return lastLogProb;
    }

    /** The pick from row [base, base + vocab) of l; see {@link Ops#sampleTokens} for the arithmetic. */
    int draw(Buf l, int base, int vocab, double invTemperature, boolean greedy, int topK, double topP, double u) {
        if (weights.length < vocab) {
            weights = new double[vocab];
            keys = new long[vocab];
        }
        int k = topK >= vocab ? 0 : topK;
        float max = Float.NEGATIVE_INFINITY;
        int argmax = 0;
        for (int i = 0; i < vocab; i++) {
            float x = (float) l.get(base + i);
            if (x > max) {
                max = x;
                argmax = i;
            }
        }
        // weights[i] = exp((l_i - max) / T): unnormalised probabilities, the largest is exactly 1.
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double w = Math.exp(((float) l.get(base + i) - (double) max) * invTemperature);
            weights[i] = w;
            sum += w;
        }
        int token;
        if (greedy) {
            token = argmax;
        } else if (k == 0 && topP >= 1) {
            token = drawAll(vocab, u * sum);
        } else {
            token = drawTruncated(vocab, k, topP, sum, u);
        }
        lastLogProb = ((float) l.get(base + token) - (double) max) * invTemperature - Math.log(sum);
        return token;
    }

    /** Inverse-CDF draw over the whole vocabulary in id order; target is uniform in [0, sum of weights). */
    private int drawAll(int vocab, double target) {
        double cum = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            double w = weights[i];
            if (w > 0) {
                cum += w;
                last = i;
                if (target < cum) {
                    return i;
                }
            }
        }
        return last; // the target fell past the sum by rounding
    }

    private int drawTruncated(int vocab, int topK, double topP, double sum, double u) {
        int n = topK > 0 ? topKCandidates(vocab, topK) : nucleusCandidates(vocab, topP * sum);
        sortDescending(n);
        int keep = n;
        if (topP < 1) {
            // Top-p applies to the distribution top-k left (Hugging Face's warper order): its mass is the kept
            // tokens' mass with top-k, the whole vocabulary's without.
            double total = sum;
            if (topK > 0) {
                total = 0;
                for (int j = 0; j < keep; j++) {
                    total += weights[tokenAt(j)];
                }
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
        double target = u * mass;
        double cum = 0;
        for (int j = 0; j < keep; j++) {
            cum += weights[tokenAt(j)];
            if (target < cum) {
                return tokenAt(j);
            }
        }
        return tokenAt(keep - 1);
    }

    /** Ascending key order = ascending float weight, then descending id. */
    private long key(int token) {
        return ((long) Float.floatToRawIntBits((float) weights[token]) << 32) | (Integer.MAX_VALUE - token);
    }

    private int tokenAt(int j) {
        return Integer.MAX_VALUE - (int) keys[j];
    }

    /** Sorts keys[0, n) largest first: most likely token first, ties to the lowest id. */
    private void sortDescending(int n) {
        Arrays.sort(keys, 0, n);
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
    }

    /** The topK largest keys, kept in a min-heap in keys[0, topK). */
    private int topKCandidates(int vocab, int topK) {
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

    /**
     * The tokens whose weight is at least a threshold, lowered until they hold at least the nucleus target mass,
     * so that the nucleus (a prefix of the ranking) is a prefix of them. A token below the threshold weighs
     * less than every token above it, so the ranking of these is the ranking's head.
     */
    private int nucleusCandidates(int vocab, double target) {
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
            if (all || mass >= target) {
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
