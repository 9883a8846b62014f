package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.KvCache;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TokenBatch;
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
 * vocabulary (151936): the same uniforms must give the same tokens, and the same log-probs to rounding. And decoding
 * with step graphs (CUDA graph replay of CausalLM.decodeStep) against decoding with every op launched.
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

    /**
     * Ops.repeatedStep directly: an embedding lookup of new ids and a product, six times. Step 0 runs op by op, step 1
     * is captured, steps 2-5 are replays whose ids reach the kernel only through the graph's input buffer.
     */
    @Test
    void repeatedStepReplaysWithEachStepsIndexArrays() {
        Nd4j.getRandom().setSeed(21);
        INDArray table = Nd4j.randn(DataType.FLOAT, 50, 16);
        INDArray w = Nd4j.randn(DataType.FLOAT, 16, 8);
        INDArray x = Nd4j.zeros(DataType.FLOAT, 4, 16);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 8);
        INDArray xCpu = x.dup();
        INDArray yCpu = y.dup();
        Object key = new Object();
        try {
            gpu.useGraphs(true);
            long[] before = gpu.graphCounts();
            for (int step = 0; step < 6; step++) {
                int[] ids = {step, 2 * step + 1, 7, 49 - step};
                gpu.repeatedStep(key, () -> {
                    gpu.embeddingForward(ids, table, x);
                    gpu.gemm(x, w, y, false, false, 1.0, 0.0);
                }, ids);
                cpu.repeatedStep(key, () -> {
                    cpu.embeddingForward(ids, table, xCpu);
                    cpu.gemm(xCpu, w, yCpu, false, false, 1.0, 0.0);
                }, ids);
                gpu.toHost(y);
                assertArrayEquals(yCpu.data().asFloat(), y.data().asFloat(), 1e-5f, "step " + step);
            }
            long[] after = gpu.graphCounts();
            assertEquals(1, after[1] - before[1], "captures");
            assertEquals(5, after[0] - before[0], "steps launched as the graph");
        } finally {
            gpu.useGraphs(!"0".equals(System.getenv("ALIGN4J_CUDA_GRAPHS")));
        }
    }

    /** Tokens and some steps' logits of one decoding run. */
    private record Run(int[][] tokens, float[][] logits, long decodeCalls) {
    }

    /**
     * Four prompts, 300 steps (past a 256-position chunk of the split decode attention, so a graph is recaptured),
     * one row stopping at step 100; greedy, or top-k 20 / top-p 0.9 from fixed uniforms.
     */
    private static Run decode(CausalLM m, boolean greedy) {
        int rows = 4;
        int steps = 300;
        int[][] prompts = {{1, 5, 9}, {1, 7}, {1, 3, 4, 8, 11}, {1}};
        KvCache first = m.newKvCache(rows, 8);
        INDArray logits = m.prefill(first, TokenBatch.of(prompts));
        KvCache cache = m.newKvCache(rows, 320);
        for (int b = 0; b < rows; b++) {
            cache.copyRow(first, b, b);
        }
        Random r = new Random(17);
        int[][] tokens = new int[steps][rows];
        float[][] seen = new float[steps / 50][];
        double[] u = new double[rows];
        double[] lp = new double[rows];
        long calls = 0;
        for (int step = 0; step < steps; step++) {
            for (int b = 0; b < rows; b++) {
                u[b] = r.nextDouble();
            }
            gpu.sampleTokens(logits, rows, greedy ? 1 : 1 / 0.9, greedy, 20, 0.9, u, tokens[step], lp);
            boolean[] active = {true, true, step < 100, true};
            long before = gpu.streamCalls();
            logits = m.decodeStep(cache, tokens[step], active);
            calls += gpu.streamCalls() - before;
            if (step % 50 == 0) {
                gpu.toHost(logits);
                seen[step / 50] = logits.dup().data().asFloat();
            }
        }
        cache.close();
        first.close();
        return new Run(tokens, seen, calls);
    }

    @Test
    void graphReplayedDecodingGivesTheTokensOfLaunchedDecoding() {
        ModelConfig c = new ModelConfig(ModelConfig.QWEN2, 300, 32, 64, 2, 4, 2, 8, 400, 1e-6, 10000.0, true, true, 1,
                new int[] {2});
        CausalLM m = CausalLM.initialize(c, DataType.FLOAT, 5, gpu);
        try {
            gpu.useGraphs(false);
            Run greedyEager = decode(m, true);
            Run sampledEager = decode(m, false);
            gpu.useGraphs(true);
            long[] before = gpu.graphCounts();
            Run greedyGraphs = decode(m, true);
            Run sampledGraphs = decode(m, false);
            long[] after = gpu.graphCounts();
            long replays = after[0] - before[0];
            long captures = after[1] - before[1];
            System.out.println("step graphs: " + replays + " replayed steps, " + captures + " captures, "
                    + (after[2] - before[2]) + " misses, " + (after[3] - before[3]) + " failed captures");
            double eagerPerStep = greedyEager.decodeCalls() / 300.0;
            double graphPerStep = greedyGraphs.decodeCalls() / 300.0;
            System.out.printf("stream calls per decoding step: %.1f launched one by one, %.1f with step graphs%n",
                    eagerPerStep, graphPerStep);
            assertTrue(captures >= 2, "captures " + captures);
            assertTrue(graphPerStep < eagerPerStep / 3, graphPerStep + " vs " + eagerPerStep + " calls per step");
            assertTrue(replays >= 2 * 300 - 20, "replayed steps " + replays + " of 600");
            for (int step = 0; step < 300; step++) {
                assertArrayEquals(greedyEager.tokens()[step], greedyGraphs.tokens()[step], "greedy step " + step);
                assertArrayEquals(sampledEager.tokens()[step], sampledGraphs.tokens()[step], "sampled step " + step);
            }
            for (int i = 0; i < greedyEager.logits().length; i++) {
                assertArrayEquals(greedyEager.logits()[i], greedyGraphs.logits()[i], 1e-5f, "logits at step " + 50 * i);
            }
        } finally {
            gpu.useGraphs(!"0".equals(System.getenv("ALIGN4J_CUDA_GRAPHS")));
        }
    }
}
