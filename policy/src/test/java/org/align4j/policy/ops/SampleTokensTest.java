package org.align4j.policy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CpuOps.sampleTokens, the reference every backend is compared with: against a plain full-sort sampler written from
 * Hugging Face's warpers (temperature, top-k, top-p), and on the edges (top_k = 1, tiny and exact top_p, ties,
 * tokens of weight 0, the uniform's ends).
 */
class SampleTokensTest {
    private final Ops ops = Ops.cpu();

    /** The draw spelled out: rank every token (float weight descending, lower id first), cut, renormalise, draw. */
    static int fullSort(float[] l, double invT, boolean greedy, int topK, double topP, double u) {
        int v = l.length;
        float max = Float.NEGATIVE_INFINITY;
        int argmax = 0;
        for (int i = 0; i < v; i++) {
            if (l[i] > max) {
                max = l[i];
                argmax = i;
            }
        }
        if (greedy) {
            return argmax;
        }
        double[] w = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            w[i] = Math.exp((l[i] - (double) max) * invT);
            sum += w[i];
        }
        if ((topK == 0 || topK >= v) && topP >= 1) {
            double target = u * sum;
            double cum = 0;
            int last = 0;
            for (int i = 0; i < v; i++) {
                if (w[i] > 0) {
                    cum += w[i];
                    last = i;
                    if (target < cum) {
                        return i;
                    }
                }
            }
            return last;
        }
        Integer[] rank = new Integer[v];
        for (int i = 0; i < v; i++) {
            rank[i] = i;
        }
        Arrays.sort(rank, Comparator.<Integer>comparingDouble(i -> -(float) w[i]).thenComparingInt(i -> i));
        int keep = topK == 0 || topK >= v ? v : topK;
        if (topP < 1) {
            double total = sum;
            if (keep < v) {
                total = 0;
                for (int j = 0; j < keep; j++) {
                    total += w[rank[j]];
                }
            }
            double cum = 0;
            int kept = 0;
            while (kept < keep && (kept == 0 || cum < topP * total)) {
                cum += w[rank[kept++]];
            }
            keep = kept;
        }
        double mass = 0;
        for (int j = 0; j < keep; j++) {
            mass += w[rank[j]];
        }
        double cum = 0;
        for (int j = 0; j < keep; j++) {
            cum += w[rank[j]];
            if (u * mass < cum) {
                return rank[j];
            }
        }
        return rank[keep - 1];
    }

    private int[] sample(INDArray logits, double temperature, int topK, double topP, double[] u, double[] lp) {
        int rows = Math.toIntExact(logits.size(0));
        int[] tokens = new int[rows];
        ops.sampleTokens(logits, rows, temperature == 0 ? 1 : 1 / temperature, temperature == 0, topK, topP, u,
                tokens, lp);
        return tokens;
    }

    private int one(float[] logits, double temperature, int topK, double topP, double u) {
        INDArray a = Nd4j.createFromArray(new float[][] {logits});
        return sample(a, temperature, topK, topP, new double[] {u}, new double[1])[0];
    }

    @Test
    void picksWhatTheFullSortPicksWithTheWholeVocabularysLogSoftmax() {
        Random r = new Random(11);
        for (int vocab : new int[] {7, 300, 5000}) {
            int rows = 40;
            Nd4j.getRandom().setSeed(vocab);
            // Scale 4: long tails below the first nucleus threshold (1e-4 of the top weight) hold real mass.
            INDArray logits = Nd4j.randn(DataType.FLOAT, rows, vocab).muli(4);
            float[][] host = logits.toFloatMatrix();
            double[][] settings = {{1, 0, 1}, {0.7, 0, 0.9}, {1, 50, 1}, {1.3, 5, 0.6}, {1, 0, 0.3}, {0.5, 2, 1},
                    {1, vocab, 0.95}, {2, 1, 0.5}, {0, 3, 0.5}};
            for (double[] s : settings) {
                double[] u = new double[rows];
                for (int i = 0; i < rows; i++) {
                    u[i] = r.nextDouble();
                }
                double[] lp = new double[rows];
                int[] got = sample(logits, s[0], (int) s[1], s[2], u, lp);
                for (int i = 0; i < rows; i++) {
                    double invT = s[0] == 0 ? 1 : 1 / s[0];
                    String what = "vocab " + vocab + " " + Arrays.toString(s) + " row " + i;
                    assertEquals(fullSort(host[i], invT, s[0] == 0, (int) s[1], s[2], u[i]), got[i], what);
                    assertEquals(logSoftmax(host[i], invT, got[i]), lp[i], 1e-12, what);
                }
            }
        }
    }

    private static double logSoftmax(float[] l, double invT, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : l) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (float x : l) {
            sum += Math.exp((x - max) * invT);
        }
        return (l[token] - max) * invT - Math.log(sum);
    }

    @Test
    void topKOfOneIsTheArgmaxWhateverTheUniform() {
        float[] l = {0.5f, 3f, -1f, 2.9f, 3f};
        for (double u : new double[] {0, 0.3, 0.999999}) {
            for (double t : new double[] {0.3, 1, 5}) {
                assertEquals(1, one(l, t, 1, 1.0, u), "first of the tied maxima");
                assertEquals(1, one(l, t, 1, 0.5, u));
            }
        }
        assertEquals(1, one(l, 0, 0, 1.0, 0.7), "greedy");
    }

    @Test
    void topPCutsAtTheFirstRankThatReachesTheMass() {
        // Probabilities 0.5, 0.3, 0.2 on ids 2, 0, 1: weights 1, 0.6, 0.4 relative to the top.
        float[] l = {(float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.5)};
        assertEquals(2, one(l, 1, 0, 0.01, 0.999), "below the top token's mass: the top token only");
        assertEquals(2, one(l, 1, 0, 0.49, 0.999), "the top token alone reaches 0.49");
        // 0.79: ids 2 and 0 (mass 0.8); the draw splits at 1 / 1.6 = 0.625.
        assertEquals(2, one(l, 1, 0, 0.79, 0.6));
        assertEquals(0, one(l, 1, 0, 0.79, 0.65));
        assertEquals(0, one(l, 1, 0, 0.79, 0.999999));
        // 0.81: all three.
        assertEquals(1, one(l, 1, 0, 0.81, 0.999999));
        // top-p of the top-2 distribution (0.625, 0.375): 0.6 keeps id 2 only.
        assertEquals(2, one(l, 1, 2, 0.6, 0.999));
        assertEquals(0, one(l, 1, 2, 0.7, 0.999));
    }

    @Test
    void tiesRankTheLowerIdFirst() {
        float[] flat = new float[10];
        assertEquals(0, one(flat, 1, 3, 1.0, 0.0));
        assertEquals(1, one(flat, 1, 3, 1.0, 0.5));
        assertEquals(2, one(flat, 1, 3, 1.0, 0.9));
        // top-p 0.25 of ten equal tokens: cum 1, 2 < 2.5, 3 >= 2.5 keeps ids 0..2.
        assertEquals(2, one(flat, 1, 0, 0.25, 0.99));
        assertEquals(0, one(flat, 0, 0, 1.0, 0.5), "greedy: the first maximum");
        // Without truncation the draw walks the vocabulary in id order.
        assertEquals(9, one(flat, 1, 0, 1.0, 0.95));
    }

    @Test
    void tokensOfWeightZeroAreNeverDrawn() {
        float[] l = {-1e30f, 1f, -1e30f, 0f, -1e30f};
        for (double u : new double[] {0, 0.5, 0.999999999}) {
            int t = one(l, 1, 4, 1.0, u);
            assertTrue(t == 1 || t == 3, "drew " + t);
            t = one(l, 1, 0, 0.999, u);
            assertTrue(t == 1 || t == 3, "drew " + t);
        }
    }

    @Test
    void float64LogitsAreReadAsFloat32() {
        Nd4j.getRandom().setSeed(3);
        INDArray f = Nd4j.randn(DataType.FLOAT, 6, 200).muli(3);
        INDArray d = f.castTo(DataType.DOUBLE);
        double[] u = {0.1, 0.2, 0.3, 0.4, 0.5, 0.99};
        double[] lpF = new double[6];
        double[] lpD = new double[6];
        assertEquals(Arrays.toString(sample(f, 0.8, 20, 0.9, u, lpF)), Arrays.toString(sample(d, 0.8, 20, 0.9, u, lpD)));
        assertEquals(Arrays.toString(lpF), Arrays.toString(lpD));
    }
}
