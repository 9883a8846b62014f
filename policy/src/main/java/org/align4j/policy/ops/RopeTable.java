package org.align4j.policy.ops;

/**
 * cos/sin of position * inverse frequency for rotary embeddings, computed once per model in double, both
 * multiplied by a scale (transformers' attention_scaling: 1 except for YaRN). The frequencies come from the
 * model's rope scaling; {@link #RopeTable(int, double)} gives the plain ones, theta^(-2i / headDim) for i in
 * [0, headDim / 2), as in Hugging Face Llama ("default" rope type).
 */
public final class RopeTable {
    private final int half;
    private final double[] invFreq;
    private final double scale;
    private double[] cos = new double[0];
    private double[] sin = new double[0];
    private int positions;

    public RopeTable(int headDim, double theta) {
        this(plain(headDim, theta), 1.0);
    }

    /** A table of the given inverse frequencies (one per rotated pair), cos and sin multiplied by scale. */
    public RopeTable(double[] inverseFrequencies, double scale) {
        if (inverseFrequencies.length == 0) {
            throw new IllegalArgumentException("rotary embeddings need at least one frequency");
        }
        this.half = inverseFrequencies.length;
        this.invFreq = inverseFrequencies.clone();
        this.scale = scale;
    }

    private static double[] plain(int headDim, double theta) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        return f;
    }

    public int half() {
        return half;
    }

    /** The inverse frequencies, one per rotated pair, for backends that compute the angles themselves. */
    public double[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** What cos and sin are multiplied by (1 unless the rope scaling says otherwise). */
    public double scale() {
        return scale;
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
                c[p * half + i] = Math.cos(a) * scale;
                s[p * half + i] = Math.sin(a) * scale;
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
