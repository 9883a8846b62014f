package org.align4j.policy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU decode attention (blocked sums, {@link DecodeKernels}) against the plain loop it replaced: one dot product
 * per cached position, softmax, one weighted sum per output element. Each sum adds the same terms in the same
 * order, so the outputs must be equal to the bit, for float32 and float64 caches, ragged and empty rows, head sizes
 * and lengths that are not multiples of the blocking, and groups of 1 to 3 query heads per key/value head.
 */
class DecodeAttentionTest {

    @Test
    void matchesThePlainLoopToTheBit() {
        int[][] shapes = {
                // batch, kvHeads, group, hd, capacity
                {5, 4, 2, 32, 96},
                {3, 2, 3, 12, 21},
                {4, 1, 1, 8, 9},
                {2, 3, 2, 7, 17},
        };
        Random r = new Random(3);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int[] s : shapes) {
                int batch = s[0], kvHeads = s[1], group = s[2], hd = s[3], cap = s[4];
                int heads = kvHeads * group;
                INDArray q = Nd4j.rand(type, batch, heads * hd).subi(0.5).muli(4);
                INDArray k = Nd4j.rand(type, batch, kvHeads, cap, hd).subi(0.5).muli(4);
                INDArray v = Nd4j.rand(type, batch, kvHeads, cap, hd).subi(0.5);
                int[] lengths = new int[batch];
                for (int b = 0; b < batch; b++) {
                    lengths[b] = b == 1 ? 0 : 1 + r.nextInt(cap);
                }
                lengths[0] = cap;
                double scale = 1 / Math.sqrt(hd);
                INDArray out = Nd4j.zeros(type, batch, heads * hd).addi(7);
                Ops.cpu().decodeAttention(q, k, v, lengths, out, group, scale, Nd4j.zeros(type, cap));
                double[] expected = plainLoop(q, k, v, lengths, group, scale);
                double[] got = out.castTo(DataType.DOUBLE).data().asDouble();
                for (int b = 0; b < batch; b++) {
                    for (int e = 0; e < heads * hd; e++) {
                        int i = b * heads * hd + e;
                        double want = lengths[b] == 0 ? 7 : expected[i];
                        assertEquals(want, got[i], 0.0, type + " shape " + java.util.Arrays.toString(s) + " row " + b
                                + " element " + e);
                    }
                }
            }
        }
    }

    /** The kernel as it was before the blocking: per head, per position, a dot product in double. */
    private static double[] plainLoop(INDArray q, INDArray kCache, INDArray vCache, int[] lengths, int group,
                                      double scale) {
        int batch = lengths.length;
        int kvHeads = (int) kCache.size(1);
        int hd = (int) kCache.size(3);
        int heads = kvHeads * group;
        double[] qs = q.castTo(DataType.DOUBLE).data().asDouble();
        double[] out = new double[batch * heads * hd];
        boolean f32 = q.dataType() == DataType.FLOAT;
        for (int b = 0; b < batch; b++) {
            int len = lengths[b];
            for (int h = 0; h < heads && len > 0; h++) {
                int kv = h / group;
                double[] w = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) {
                        dot += qs[(b * heads + h) * hd + i] * kCache.getDouble(b, kv, j, i);
                    }
                    dot *= scale;
                    w[j] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    w[j] = Math.exp(w[j] - max);
                    sum += w[j];
                }
                for (int j = 0; j < len; j++) {
                    double wj = w[j] / sum;
                    for (int i = 0; i < hd; i++) {
                        out[(b * heads + h) * hd + i] += wj * vCache.getDouble(b, kv, j, i);
                    }
                }
            }
        }
        if (f32) {
            // the kernel writes float32: round the same way
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) out[i];
            }
        }
        return out;
    }
}
