import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU decode step's matrix products (x [rows, in] times a weight stored [out, in], as align4j's Linear calls
 * them) two ways: ND4J's gemm with OpenBLAS threading over both cores, and the rows split in two halves, each one
 * single-threaded OpenBLAS call on its own core. Prints microseconds and GF/s, best of 5, for the shapes of
 * `align4j bench`'s default model (d 256, ffn 688, vocab 1024, 64 sampled rows) and one training-sized product.
 * An experiment for docs/BENCHMARKS.md, not part of the build:
 *   java -cp cli/target/align4j.jar bench/DecodeGemmSplit.java
 */
public class DecodeGemmSplit {
    private static final ExecutorService OTHER_CORE = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    });

    /** c = a b^T with the rows of a and c split in two, one single-threaded call on each core. */
    static void splitRows(INDArray a, INDArray b, INDArray c) throws Exception {
        int m = (int) a.size(0), k = (int) a.size(1), n = (int) c.size(1), half = m / 2;
        FloatPointer pa = (FloatPointer) a.data().addressPointer();
        FloatPointer pb = (FloatPointer) b.data().addressPointer();
        FloatPointer pc = (FloatPointer) c.data().addressPointer();
        Future<?> top = OTHER_CORE.submit(
                () -> cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, half, n, k, 1f, pa, k, pb, k, 0f, pc, n));
        FloatPointer a2 = new FloatPointer(pa).position((long) half * k);
        FloatPointer c2 = new FloatPointer(pc).position((long) half * n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m - half, n, k, 1f, a2, k, pb, k, 0f, c2, n);
        top.get();
    }

    public static void main(String[] args) throws Exception {
        int[][] shapes = {{64, 256, 256}, {64, 256, 128}, {64, 256, 688}, {64, 688, 256}, {64, 256, 1024},
                {4096, 256, 688}};
        for (boolean split : new boolean[] {false, true}) {
            if (split) {
                Nd4j.factory().blas().setMaxThreads(1);
            }
            for (int[] s : shapes) {
                INDArray a = Nd4j.rand(DataType.FLOAT, s[0], s[1]);
                INDArray w = Nd4j.rand(DataType.FLOAT, s[2], s[1]);
                INDArray c = Nd4j.zeros(DataType.FLOAT, s[0], s[2]);
                INDArray reference = Nd4j.zeros(DataType.FLOAT, s[0], s[2]);
                Nd4j.gemm(a, w, reference, false, true, 1.0, 0.0);
                int calls = s[0] > 1000 ? 20 : 1000;
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < 5; rep++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < calls; i++) {
                        if (split) {
                            splitRows(a, w, c);
                        } else {
                            Nd4j.gemm(a, w, c, false, true, 1.0, 0.0);
                        }
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e3 / calls);
                }
                System.out.printf("%-26s %5d x %4d x %4d: %8.1f us %6.1f GF/s (max |diff| %.1e)%n",
                        split ? "split rows, 1 thread each" : "ND4J gemm, 2 threads", s[0], s[1], s[2], best,
                        2.0 * s[0] * s[1] * s[2] / best / 1e3, c.sub(reference).amaxNumber().doubleValue());
            }
        }
    }
}
