package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * CudaOps.sampleTokens (sampling.cu's radix searches for top-k / top-p) against CpuOps.sampleTokens at Qwen2.5's
 * vocabulary (151936): the same uniforms must give the same tokens, and the same log-probs to rounding.
 */
@EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaSamplingTest {
    private static final int VOCAB = 151936;
    private static CudaOps gpu;
    private final Ops cpu = Ops.cpu();

    @BeforeAll
    static void init() {
        gpu = CudaTesting.ops();
    }

    /** temperature, top_k, top_p. */
    private static final double[][] SETTINGS = {{1, 50, 1}, {0.7, 0, 0.9}, {1, 50, 0.95}, {1.3, 0, 0.5},
            {1, 1, 1}, {0.6, 20, 0.3}, {1, 0, 0.999}, {1, 1000, 0.8}, {0, 50, 0.9}, {1, 0, 1}};

    private void compare(String what, INDArray logits, Random r) {
        int rows = Math.toIntExact(logits.size(0));
        for (double[] s : SETTINGS) {
            double[] u = new double[rows];
            for (int i = 0; i < rows; i++) {
                u[i] = r.nextDouble();
            }
            u[0] = 0.0;
            u[rows - 1] = Math.nextDown(1.0);
            int[] want = new int[rows];
            int[] got = new int[rows];
            double[] wantLp = new double[rows];
            double[] gotLp = new double[rows];
            boolean greedy = s[0] == 0;
            double invT = greedy ? 1 : 1 / s[0];
            cpu.sampleTokens(logits, rows, invT, greedy, (int) s[1], s[2], u, want, wantLp);
            gpu.sampleTokens(logits.dup(), rows, invT, greedy, (int) s[1], s[2], u, got, gotLp);
            for (int i = 0; i < rows; i++) {
                String at = what + " temperature " + s[0] + " top_k " + (int) s[1] + " top_p " + s[2] + " row " + i;
                assertEquals(want[i], got[i], at);
                assertEquals(wantLp[i], gotLp[i], 1e-9, at);
            }
        }
    }

    @Test
    void randomLogitsAtQwenVocabularyPickWhatTheCpuPicks() {
        Nd4j.getRandom().setSeed(42);
        // Scale 3: a peaked head and a long tail, as a language model's next-token logits.
        compare("float32", Nd4j.randn(DataType.FLOAT, 24, VOCAB).muli(3), new Random(1));
        Nd4j.getRandom().setSeed(43);
        compare("float64", Nd4j.randn(DataType.DOUBLE, 6, VOCAB).muli(3), new Random(2));
    }

    @Test
    void manyTiesRankTheLowerIdFirstOnBothBackends() {
        Nd4j.getRandom().setSeed(7);
        // Logits rounded to steps of 0.5: thousands of equal weights per value, ordered by id.
        INDArray logits = Transforms.round(Nd4j.randn(DataType.FLOAT, 8, VOCAB).muli(4)).divi(2);
        logits.getRow(3).assign(0); // a flat row: every token ties
        compare("ties", logits, new Random(3));
    }

    @Test
    void smallVocabulariesAndOneRow() {
        Nd4j.getRandom().setSeed(9);
        compare("vocab 37", Nd4j.randn(DataType.FLOAT, 5, 37).muli(2), new Random(4));
        compare("one row", Nd4j.randn(DataType.FLOAT, 1, 5000).muli(5), new Random(5));
    }
}
