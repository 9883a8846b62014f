package org.align4j.policy.ops;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products on the CPU with the output's columns split over the kernel threads ({@link Parallel}), each part
 * one single-threaded OpenBLAS call. OpenBLAS's own threads, woken for every product and spinning beside the
 * kernels' threads on the same cores, made the decode step's small products (64 rows) run at a third of the rate
 * they reach back to back; split this way they run on threads that are already awake, and each core reads only
 * its share of the weight. Each output element is still one call's dot product over the whole k, so the split does
 * not change which additions make it.
 */
final class SplitGemm {
    static {
        // one OpenBLAS thread: the parallelism is the column split's (a process-wide setting of OpenBLAS)
        Nd4j.factory().blas().setMaxThreads(1);
    }

    private SplitGemm() {
    }

    /** c = alpha op(a) op(b) + beta c when all three are C-contiguous float32 or float64 matrices; false otherwise. */
    static boolean run(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
        DataType t = c.dataType();
        if ((t != DataType.FLOAT && t != DataType.DOUBLE) || a.dataType() != t || b.dataType() != t
                || a.rank() != 2 || b.rank() != 2 || c.rank() != 2 || a.isEmpty() || b.isEmpty() || c.isEmpty()
                || !Buf.isContiguous(a) || !Buf.isContiguous(b) || !Buf.isContiguous(c)) {
            return false;
        }
        int m = CpuOps.rows(c);
        int n = CpuOps.cols(c);
        int k = transA ? CpuOps.rows(a) : CpuOps.cols(a);
        if ((transA ? CpuOps.cols(a) : CpuOps.rows(a)) != m || (transB ? CpuOps.cols(b) : CpuOps.rows(b)) != k
                || (transB ? CpuOps.rows(b) : CpuOps.cols(b)) != n) {
            throw new IllegalArgumentException("gemm shapes: " + java.util.Arrays.toString(a.shape()) + (transA ? "^T" : "")
                    + " x " + java.util.Arrays.toString(b.shape()) + (transB ? "^T" : "") + " -> "
                    + java.util.Arrays.toString(c.shape()));
        }
        int lda = CpuOps.cols(a);
        int ldb = CpuOps.cols(b);
        int ta = transA ? CblasTrans : CblasNoTrans;
        int tb = transB ? CblasTrans : CblasNoTrans;
        // columns j of op(b): rows j of a transposed b ([n, k]), columns j of a plain one ([k, n])
        long bColumnStride = transB ? ldb : 1;
        if (t == DataType.FLOAT) {
            FloatBuffer pa = a.data().asNioFloat();
            FloatBuffer pb = b.data().asNioFloat();
            FloatBuffer pc = c.data().asNioFloat();
            long oa = a.offset(), ob = b.offset(), oc = c.offset();
            Parallel.rows(n, 2L * m * k, (from, to) -> cblas_sgemm(CblasRowMajor, ta, tb, m, to - from, k,
                    (float) alpha, at(pa, oa), lda, at(pb, ob + from * bColumnStride), ldb, (float) beta,
                    at(pc, oc + from), n));
        } else {
            DoubleBuffer pa = a.data().asNioDouble();
            DoubleBuffer pb = b.data().asNioDouble();
            DoubleBuffer pc = c.data().asNioDouble();
            long oa = a.offset(), ob = b.offset(), oc = c.offset();
            Parallel.rows(n, 2L * m * k, (from, to) -> cblas_dgemm(CblasRowMajor, ta, tb, m, to - from, k, alpha,
                    at(pa, oa), lda, at(pb, ob + from * bColumnStride), ldb, beta, at(pc, oc + from), n));
        }
        return true;
    }

    /** The buffer from element i on (a direct buffer: OpenBLAS gets its address). */
    private static FloatBuffer at(FloatBuffer b, long i) {
        return b.duplicate().position(Math.toIntExact(i)).slice();
    }

    private static DoubleBuffer at(DoubleBuffer b, long i) {
        return b.duplicate().position(Math.toIntExact(i)).slice();
    }
}
