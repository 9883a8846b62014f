package org.align4j.policy.ops;

/**
 * The inner loops of one query's attention over cached keys and values, blocked (for the float32 cache a model
 * decodes with) so that eight independent sums are in flight at once. Written as plain dot products, each score
 * (and each output element) is one serial chain of additions whose latency, not the arithmetic, set the speed of
 * decoding attention on the CPU. Every sum still adds its terms in the same order as the plain loop, starting from
 * zero, so the results are the same to the bit.
 * A float32 cache is read as it is (its values widened to double as they are multiplied, which is exact) rather than
 * first copied out widened: that copy was the largest part of a decode step's attention.
 */
final class DecodeKernels {
    private DecodeKernels() {
    }

    /**
     * w[j] = (sum_i q[qo + i] * keys[j * hd + i]) * scale for j in [0, len); keys are [len, hd]: the plain loop, for
     * float64 caches (gradient checks), where speed does not matter. The blocked float32 version below adds the same
     * terms in the same order.
     */
    static void scores(double[] q, int qo, double[] keys, int len, int hd, double scale, double[] w) {
        for (int j = 0; j < len; j++) {
            double s = 0;
            for (int i = 0; i < hd; i++) {
                s += q[qo + i] * keys[j * hd + i];
            }
            w[j] = s * scale;
        }
    }

    /** out[oo + i] = sum_j p[j] * values[j * hd + i] for i in [0, hd), j in order; values are [len, hd] (float64). */
    static void weightedSum(double[] p, double[] values, int len, int hd, double[] out, int oo) {
        for (int i = 0; i < hd; i++) {
            double a = 0;
            for (int j = 0; j < len; j++) {
                a += p[j] * values[j * hd + i];
            }
            out[oo + i] = a;
        }
    }

    /**
     * w[j] = (sum_i q[qo + i] * keys[j * hd + i]) * scale for j in [0, len) over a float32 cache ([len, hd]), each key
     * widened to double as it is multiplied; eight positions at a time.
     */
    static void scores(double[] q, int qo, float[] keys, int len, int hd, double scale, double[] w) {
        int j = 0;
        for (; j + 8 <= len; j += 8) {
            int k0 = j * hd;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int i = 0; i < hd; i++) {
                double qi = q[qo + i];
                int k = k0 + i;
                s0 += qi * keys[k];
                s1 += qi * keys[k + hd];
                s2 += qi * keys[k + 2 * hd];
                s3 += qi * keys[k + 3 * hd];
                s4 += qi * keys[k + 4 * hd];
                s5 += qi * keys[k + 5 * hd];
                s6 += qi * keys[k + 6 * hd];
                s7 += qi * keys[k + 7 * hd];
            }
            w[j] = s0 * scale;
            w[j + 1] = s1 * scale;
            w[j + 2] = s2 * scale;
            w[j + 3] = s3 * scale;
            w[j + 4] = s4 * scale;
            w[j + 5] = s5 * scale;
            w[j + 6] = s6 * scale;
            w[j + 7] = s7 * scale;
        }
        for (; j < len; j++) {
            int k0 = j * hd;
            double s = 0;
            for (int i = 0; i < hd; i++) {
                s += q[qo + i] * keys[k0 + i];
            }
            w[j] = s * scale;
        }
    }

    /**
     * out[oo + i] = sum_j p[j] * values[j * hd + i] for i in [0, hd), j in order, over a float32 cache ([len, hd]), each
     * value widened as it is multiplied; eight output elements at a time.
     */
    static void weightedSum(double[] p, float[] values, int len, int hd, double[] out, int oo) {
        int i = 0;
        for (; i + 8 <= hd; i += 8) {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
            for (int j = 0; j < len; j++) {
                double pj = p[j];
                int v = j * hd + i;
                a0 += pj * values[v];
                a1 += pj * values[v + 1];
                a2 += pj * values[v + 2];
                a3 += pj * values[v + 3];
                a4 += pj * values[v + 4];
                a5 += pj * values[v + 5];
                a6 += pj * values[v + 6];
                a7 += pj * values[v + 7];
            }
            out[oo + i] = a0;
            out[oo + i + 1] = a1;
            out[oo + i + 2] = a2;
            out[oo + i + 3] = a3;
            out[oo + i + 4] = a4;
            out[oo + i + 5] = a5;
            out[oo + i + 6] = a6;
            out[oo + i + 7] = a7;
        }
        for (; i < hd; i++) {
            double a = 0;
            for (int j = 0; j < len; j++) {
                a += p[j] * values[j * hd + i];
            }
            out[oo + i] = a;
        }
    }
}
