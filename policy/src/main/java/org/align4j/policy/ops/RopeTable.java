package org.align4j.policy.ops;

/**
 * cos/sin of position * inverse frequency for rotary embeddings, computed once per model in double.
 * inverse frequency i = theta^(-2i / headDim) for i in [0, headDim / 2), as in Hugging Face Llama
 * ("default" rope type).
 */
public final class RopeTable {
    private final int half;
    private final double[] invFreq;
    private double[] cos = new double[0];
    private double[] sin = new double[0];
    private int positions;

    public RopeTable(int headDim, double theta) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        this.half = headDim / 2;
        this.invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
    }

    public int half() {
        return half;
    }

    /** theta^(-2i / headDim) for i in [0, headDim / 2), for backends that compute the angles themselves. */
    public double[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** Grows the table so that positions [0, n) are available. */
    synchronized void ensure(int n) {
        if (n <= positions) {
            return;
        }
        int cap = Math.max(n, positions * 2);
        double[] c = new double[cap * half];
        double[] s = new double[cap * half];
        for (int p = 0; p < cap; p++) {
            for (int i = 0; i < half; i++) {
                double a = p * invFreq[i];
                c[p * half + i] = Math.cos(a);
                s[p * half + i] = Math.sin(a);
            }
        }
        cos = c;
        sin = s;
        positions = cap;
    }

    double cos(int pos, int i) {
        return cos[pos * half + i];
    }

    double sin(int pos, int i) {
        return sin[pos * half + i];
    }
}
