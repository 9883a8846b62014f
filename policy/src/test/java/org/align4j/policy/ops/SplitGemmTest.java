package org.align4j.policy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The CPU backend's matrix product (output columns split over the kernel threads, one single-threaded OpenBLAS call
 * each) against plain loops in double: every transposition, alpha and beta, float32 and float64, operands that are
 * row ranges of larger arrays (an offset), column counts that do not split evenly, and products too small to split.
 */
class SplitGemmTest {

    @Test
    void matchesPlainLoopsForEveryTranspositionAndOffset() {
        int[][] shapes = {{64, 256, 688}, {3, 5, 7}, {17, 33, 129}, {1, 64, 1025}, {130, 9, 2}};
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                for (int t = 0; t < 4; t++) {
                    boolean transA = (t & 1) != 0, transB = (t & 2) != 0;
                    Nd4j.getRandom().setSeed(7L * m + t);
                    // each operand a row range (from row 2 on) of a taller array
                    INDArray a = rowsOf(Nd4j.rand(type, (transA ? k : m) + 3, transA ? m : k).subi(0.5));
                    INDArray b = rowsOf(Nd4j.rand(type, (transB ? n : k) + 3, transB ? k : n).subi(0.5));
                    INDArray c = rowsOf(Nd4j.rand(type, m + 3, n));
                    double[][] before = toArray(c);
                    double alpha = 0.75, beta = t == 3 ? 0.0 : 0.5;
                    Ops.cpu().gemm(a, b, c, transA, transB, alpha, beta);
                    double[][] got = toArray(c);
                    double[][] av = toArray(a), bv = toArray(b);
                    double tol = type == DataType.DOUBLE ? 1e-12 : 2e-5 * Math.sqrt(k);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = 0;
                            for (int p = 0; p < k; p++) {
                                sum += (transA ? av[p][i] : av[i][p]) * (transB ? bv[j][p] : bv[p][j]);
                            }
                            double want = alpha * sum + beta * before[i][j];
                            assertEquals(want, got[i][j], tol, type + " " + java.util.Arrays.toString(s) + " transA "
                                    + transA + " transB " + transB + " at " + i + "," + j);
                        }
                    }
                }
            }
        }
    }

    @Test
    void leavesNonContiguousOperandsToNd4j() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 4, 6).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3));
        INDArray b = Nd4j.rand(DataType.FLOAT, 3, 5);
        INDArray c = Nd4j.zeros(DataType.FLOAT, 4, 5);
        assertFalse(SplitGemm.run(a, b, c, false, false, 1, 0), "a column range is not a plain row-major matrix");
        assertTrue(SplitGemm.run(a.dup(), b, c, false, false, 1, 0));
        INDArray want = a.mmul(b);
        assertEquals(0, want.sub(c).amaxNumber().doubleValue(), 1e-5);
        Ops.cpu().gemm(a, b, c, false, false, 1, 0);
        assertEquals(0, want.sub(c).amaxNumber().doubleValue(), 1e-5);
    }

    private static INDArray rowsOf(INDArray x) {
        return x.get(NDArrayIndex.interval(2, x.rows() - 1), NDArrayIndex.all());
    }

    private static double[][] toArray(INDArray x) {
        return x.castTo(DataType.DOUBLE).toDoubleMatrix();
    }
}
