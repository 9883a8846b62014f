package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.align4j.policy.ops.Bf16Source;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.RopeTable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every op of CudaOps against CpuOps on the same random inputs, in float32 and float64. Each op runs on
 * two copies of its arguments, one per backend, and then every argument (inputs too, which catches writes
 * where there should be none) is compared.
 */
@EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaOpsTest {
    private static CudaOps gpu;
    private final Ops cpu = Ops.cpu();

    enum T {
        F32(DataType.FLOAT, 2e-5), F64(DataType.DOUBLE, 1e-11);

        final DataType type;
        final double tol;

        T(DataType type, double tol) {
            this.type = type;
            this.tol = tol;
        }
    }

    interface Call {
        void run(Ops ops, INDArray[] a);
    }

    @BeforeAll
    static void init() {
        gpu = CudaTesting.ops();
    }

    private static INDArray randn(T t, long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(t.type, shape);
    }

    private static INDArray[] dupAll(INDArray[] a) {
        INDArray[] c = new INDArray[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].dup('c');
        }
        return c;
    }

    /** max |cpu - gpu| over max(1, max |cpu|), per argument. */
    private void check(String what, T t, Call call, INDArray... args) {
        INDArray[] c = dupAll(args);
        INDArray[] g = dupAll(args);
        call.run(cpu, c);
        call.run(gpu, g);
        for (int i = 0; i < args.length; i++) {
            gpu.toHost(g[i]);
            double scale = Math.max(1.0, c[i].amaxNumber().doubleValue());
            double err = c[i].sub(g[i]).amaxNumber().doubleValue() / scale;
            assertTrue(err <= t.tol, what + " " + t + ": argument " + i + " differs by " + err);
            assertFalse(g[i].isNaN().any() && !c[i].isNaN().any(), what + ": NaN on the GPU only");
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void gemmEveryTransposeWithAlphaBeta(T t) {
        int m = 37;
        int k = 53;
        int n = 29;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                INDArray a = ta ? randn(t, 1, k, m) : randn(t, 1, m, k);
                INDArray b = tb ? randn(t, 2, n, k) : randn(t, 2, k, n);
                check("gemm " + ta + tb, t, (o, x) -> o.gemm(x[0], x[1], x[2], ta, tb, 0.7, 0.3), a, b, randn(t, 3, m, n));
                check("gemm beta 0 " + ta + tb, t, (o, x) -> o.gemm(x[0], x[1], x[2], ta, tb, 1.0, 0.0), a, b,
                        randn(t, 4, m, n));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void gemmIntoAViewAtAnOffset(T t) {
        INDArray a = randn(t, 5, 6, 4);
        INDArray b = randn(t, 6, 5, 4);
        check("gemm view", t, (o, x) -> o.gemm(x[0], x[1],
                x[2].get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all()), false, true, 1.0, 1.0),
                a, b, randn(t, 7, 3, 6, 5));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void bmmEveryTranspose(T t) {
        int batch = 5;
        int m = 11;
        int k = 7;
        int n = 13;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                INDArray a = ta ? randn(t, 1, batch, k, m) : randn(t, 1, batch, m, k);
                INDArray b = tb ? randn(t, 2, batch, n, k) : randn(t, 2, batch, k, n);
                check("bmm " + ta + tb, t, (o, x) -> o.bmm(x[0], x[1], x[2], ta, tb), a, b, randn(t, 3, batch, m, n));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void embeddingForwardAndBackwardWithRepeatedIds(T t) {
        int[] ids = {3, 0, 7, 3, 3, 9, 1};
        check("embedding fwd", t, (o, x) -> o.embeddingForward(ids, x[0], x[1]), randn(t, 1, 10, 6), randn(t, 2, 7, 6));
        check("embedding bwd", t, (o, x) -> o.embeddingBackward(ids, x[0], x[1]), randn(t, 3, 7, 6), randn(t, 4, 10, 6));
        assertThrows(IllegalArgumentException.class,
                () -> gpu.embeddingForward(new int[] {10}, randn(t, 1, 10, 6), randn(t, 2, 1, 6)));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void rmsNormForwardAndBackward(T t) {
        for (int d : new int[] {8, 96, 768}) {
            int n = 37;
            check("rmsnorm fwd " + d, t, (o, x) -> o.rmsNormForward(x[0], x[1], x[2], x[3], 1e-6), randn(t, 1, n, d),
                    randn(t, 2, d), randn(t, 3, n, d), randn(t, 4, n));
            INDArray x = randn(t, 5, n, d);
            INDArray rstd = Nd4j.create(t.type, n);
            cpu.rmsNormForward(x, randn(t, 2, d), Nd4j.create(t.type, n, d), rstd, 1e-6);
            check("rmsnorm bwd " + d, t, (o, a) -> o.rmsNormBackward(a[0], a[1], a[2], a[3], a[4], a[5]),
                    randn(t, 6, n, d), x, randn(t, 2, d), rstd, randn(t, 7, n, d), randn(t, 8, d));
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void biasForwardAndBackward(T t) {
        check("bias", t, (o, x) -> o.addBias(x[0], x[1]), randn(t, 1, 70, 33), randn(t, 2, 33));
        check("bias bwd", t, (o, x) -> o.biasBackward(x[0], x[1]), randn(t, 3, 150, 33), randn(t, 4, 33));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void ropeForwardAndInverse(T t) {
        RopeTable table = new RopeTable(16, 10000.0);
        int[] pos = {0, 1, 2, 5, 40, 3, 1000};
        check("rope", t, (o, x) -> o.rope(x[0], pos, table, false), randn(t, 1, 7, 3 * 16));
        check("rope inverse", t, (o, x) -> o.rope(x[0], pos, table, true), randn(t, 2, 7, 3 * 16));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void regroupHeadsBothWays(T t) {
        int batch = 2;
        int seq = 5;
        int kv = 3;
        int group = 2;
        int hd = 4;
        check("regroup to", t, (o, x) -> o.regroupHeads(x[0], x[1], batch, seq, kv, group, true),
                randn(t, 1, batch * seq, kv * group * hd), randn(t, 2, batch * kv, group * seq, hd));
        check("regroup from", t, (o, x) -> o.regroupHeads(x[0], x[1], batch, seq, kv, group, false),
                randn(t, 3, batch * seq, kv * group * hd), randn(t, 4, batch * kv, group * seq, hd));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void softmaxForwardAndBackward(T t) {
        for (int seq : new int[] {3, 64, 300}) {
            check("causal softmax " + seq, t, (o, x) -> o.causalSoftmax(x[0], seq, 0.35), randn(t, 1, 4, 2 * seq, seq));
            check("softmax bwd " + seq, t, (o, x) -> o.softmaxBackward(x[0], x[1], 0.35), randn(t, 2, 4, 2 * seq, seq),
                    randn(t, 3, 4, 2 * seq, seq));
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void swiGluForwardAndBackward(T t) {
        check("swiglu", t, (o, x) -> o.swiGluForward(x[0], x[1], x[2]), randn(t, 1, 9, 50), randn(t, 2, 9, 50),
                randn(t, 3, 9, 50));
        check("swiglu bwd", t, (o, x) -> o.swiGluBackward(x[0], x[1], x[2], x[3], x[4]), randn(t, 4, 9, 50),
                randn(t, 1, 9, 50), randn(t, 2, 9, 50), randn(t, 5, 9, 50), randn(t, 6, 9, 50));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void logProbsEntropyAndBackward(T t) {
        for (int vocab : new int[] {13, 1024, 32000}) {
            Random r = new Random(vocab);
            int rows = 9;
            int[] targets = new int[rows];
            for (int i = 0; i < rows; i++) {
                targets[i] = r.nextInt(vocab);
            }
            targets[2] = -1;
            INDArray logits = randn(t, 1, rows, vocab).muli(3);
            check("logprobs " + vocab, t, (o, x) -> o.logProbsAndEntropy(x[0], targets, x[1], x[2]), logits,
                    randn(t, 2, rows), randn(t, 3, rows));
            INDArray dlp = randn(t, 4, rows);
            dlp.putScalar(5, 0.0);
            check("logprobs bwd " + vocab, t, (o, x) -> o.logProbsBackward(x[0], targets, x[1]), logits, dlp);
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void elementwiseAndReductions(T t) {
        check("copy", t, (o, x) -> o.copy(x[0], x[1]), randn(t, 1, 40, 7), randn(t, 2, 40, 7));
        check("copy rows", t, (o, x) -> o.copy(x[0].getRow(3), x[1].getRow(5)), randn(t, 1, 40, 7), randn(t, 2, 8, 7));
        check("add", t, (o, x) -> o.addInPlace(x[0], x[1]), randn(t, 3, 1000, 3), randn(t, 4, 1000, 3));
        check("zero", t, (o, x) -> o.zero(x[0]), randn(t, 5, 17, 3));
        check("zero row", t, (o, x) -> o.zero(x[0].getRow(2)), randn(t, 5, 17, 3));
        check("scale", t, (o, x) -> o.scale(x[0], -0.37), randn(t, 6, 100001));
        check("dropout", t, (o, x) -> o.dropout(x[0], x[1], 0.3, 12345L), randn(t, 7, 1000, 3), randn(t, 8, 1000, 3));
        check("dropout in place", t, (o, x) -> o.dropout(x[0], x[0], 0.6, -77L), randn(t, 9, 100001));
        INDArray big = randn(t, 7, 3_000_001);
        assertEquals(cpu.sumSquares(big), gpu.sumSquares(big), t.tol * cpu.sumSquares(big) * 10);
        assertFalse(gpu.hasNonFinite(big));
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            INDArray b = big.dup();
            b.putScalar(1_234_567, bad);
            assertTrue(gpu.hasNonFinite(b), "finds " + bad);
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void adamWStep(T t) {
        INDArray v = randn(t, 4, 300).muli(randn(t, 4, 300)); // second moment >= 0
        check("adamw", t, (o, x) -> o.adamW(x[0], x[1], x[2], x[3], 1e-2, 0.9, 0.95, 1e-8, 0.1, 3), randn(t, 1, 300),
                randn(t, 2, 300), randn(t, 3, 300), v);
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void kvCacheWriteDecodeAndRowCopy(T t) {
        int batch = 3;
        int kv = 2;
        int group = 3;
        int cap = 40;
        for (int hd : new int[] {4, 64, 128}) {
            int[] start = {5, -1, 0};
            check("write kv " + hd, t, (o, x) -> o.writeKv(x[0], x[1], batch, 2, start), randn(t, 1, batch * 2, kv * hd),
                    randn(t, 2, batch, kv, cap, hd));
            int[] lengths = {7, 0, 33};
            check("decode attention " + hd, t, (o, x) -> o.decodeAttention(x[0], x[1], x[2], lengths, x[3], group, 0.3,
                    x[4]), randn(t, 3, batch, kv * group * hd), randn(t, 4, batch, kv, cap, hd),
                    randn(t, 5, batch, kv, cap, hd), randn(t, 6, batch, kv * group * hd), Nd4j.create(t.type, cap));
            check("copy cache row " + hd, t, (o, x) -> o.copyCacheRow(x[0], 2, x[1], 0, 17), randn(t, 7, batch, kv, cap, hd),
                    randn(t, 8, 2, kv, 20, hd));
        }
        assertThrows(IllegalStateException.class, () -> gpu.writeKv(randn(t, 1, 2, 8), randn(t, 2, 1, 2, 4, 4), 1, 2,
                new int[] {3}));
    }

    @Test
    void deviceMemoryIsReportedForTheEstimate() {
        long bytes = gpu.deviceMemoryBytes();
        assertTrue(bytes > (1L << 30), "device memory " + bytes);
        assertEquals(-1, cpu.deviceMemoryBytes());
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void flashDecodingSplitsLongContextsAcrossBlocks(T t) {
        // few (row, head) pairs over thousands of cached positions: the split kernel and its merge
        int batch = 2;
        int kv = 2;
        int group = 4;
        int cap = 3072;
        for (int hd : new int[] {64, 128}) {
            int[] lengths = {3000, 700};
            check("flash decoding " + hd, t, (o, x) -> o.decodeAttention(x[0], x[1], x[2], lengths, x[3], group,
                    0.125, x[4]), randn(t, 3, batch, kv * group * hd), randn(t, 4, batch, kv, cap, hd),
                    randn(t, 5, batch, kv, cap, hd), randn(t, 6, batch, kv * group * hd), Nd4j.create(t.type, cap));
            int[] withEmpty = {0, 2500};
            check("flash decoding, empty row " + hd, t, (o, x) -> o.decodeAttention(x[0], x[1], x[2], withEmpty, x[3],
                    group, 0.125, x[4]), randn(t, 7, batch, kv * group * hd), randn(t, 8, batch, kv, cap, hd),
                    randn(t, 9, batch, kv, cap, hd), randn(t, 10, batch, kv * group * hd), Nd4j.create(t.type, cap));
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void flashAttentionForwardAndBackwardWithGroupedHeadsAndPadding(T t) {
        int batch = 3;
        int seq = 37;
        int[] lengths = {37, 20, 1};
        double scale = 0.2;
        // {heads, kv heads, head dim, value head dim}: the last, DeepSeek's latent attention (192 against 128)
        for (int[] shape : new int[][] {{4, 2, 16, 16}, {6, 1, 64, 64}, {2, 2, 128, 128}, {14, 2, 64, 64},
                {3, 3, 192, 128}}) {
            int heads = shape[0];
            int kv = shape[1];
            int hd = shape[2];
            int hdV = shape[3];
            String what = "flash attention " + heads + "/" + kv + "x" + hd + "/" + hdV;
            check(what, t, (o, x) -> o.flashAttentionForward(x[0], x[1], x[2], lengths, seq, scale, x[3], x[4]),
                    randn(t, 1, batch * seq, heads * hd), randn(t, 2, batch * seq, kv * hd),
                    randn(t, 3, batch * seq, kv * hdV), randn(t, 4, batch * seq, heads * hdV),
                    randn(t, 5, (long) batch * heads * seq));
            // the backward pass of one forward (made on the CPU), on both backends
            INDArray q = randn(t, 6, batch * seq, heads * hd);
            INDArray k = randn(t, 7, batch * seq, kv * hd);
            INDArray v = randn(t, 8, batch * seq, kv * hdV);
            INDArray out = Nd4j.create(t.type, batch * seq, heads * hdV);
            INDArray lse = Nd4j.create(t.type, (long) batch * heads * seq);
            cpu.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse);
            check(what + " backward", t, (o, x) -> o.flashAttentionBackward(x[0], x[1], x[2], x[3], x[4], x[5],
                    lengths, seq, scale, x[6], x[7], x[8]), q, k, v, out, lse, randn(t, 9, batch * seq, heads * hdV),
                    randn(t, 10, batch * seq, heads * hd), randn(t, 11, batch * seq, kv * hd),
                    randn(t, 12, batch * seq, kv * hdV));
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void sampleRowsPicksWhatTheCpuPicks(T t) {
        Random r = new Random(3);
        for (int vocab : new int[] {17, 1024, 32000}) {
            for (boolean greedy : new boolean[] {false, true}) {
                int rows = 70;
                INDArray logits = randn(t, vocab, rows + 2, vocab).muli(3);
                double[] u = new double[rows];
                for (int i = 0; i < rows; i++) {
                    u[i] = r.nextDouble();
                }
                int[] want = new int[rows];
                int[] got = new int[rows];
                double[] wantLp = new double[rows];
                double[] gotLp = new double[rows];
                cpu.sampleRows(logits, rows, 1.25, greedy, u, want, wantLp);
                gpu.sampleRows(logits.dup(), rows, 1.25, greedy, u, got, gotLp);
                for (int i = 0; i < rows; i++) {
                    assertEquals(want[i], got[i], "vocab " + vocab + " greedy " + greedy + " row " + i);
                    assertEquals(wantLp[i], gotLp[i], 1e-9, "log-prob, row " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void gatherHeadsBothWaysWithDisjointSharedAndOverlappingSegments(T t) {
        int batch = 2;
        int seq = 3;
        int heads = 4;
        check("gatherHeads to heads", t, (o, x) -> o.gatherHeads(x[0], 1, 10, x[1], 2, 8, batch, seq, true),
                randn(t, 1, batch * seq, 42), randn(t, 2, batch * heads, seq, 12));
        check("gatherHeads to rows", t, (o, x) -> o.gatherHeads(x[0], 1, 10, x[1], 2, 8, batch, seq, false),
                randn(t, 3, batch * seq, 42), randn(t, 4, batch * heads, seq, 12));
        // stride 0: one row segment shared by every head (MLA's RoPE key) receives the sum over heads
        check("gatherHeads shared to heads", t, (o, x) -> o.gatherHeads(x[0], 5, 0, x[1], 4, 6, batch, seq, true),
                randn(t, 5, batch * seq, 11), randn(t, 6, batch * heads, seq, 12));
        check("gatherHeads shared to rows", t, (o, x) -> o.gatherHeads(x[0], 5, 0, x[1], 4, 6, batch, seq, false),
                randn(t, 7, batch * seq, 11), randn(t, 8, batch * heads, seq, 12));
        check("gatherHeads overlapping to rows", t, (o, x) -> o.gatherHeads(x[0], 0, 3, x[1], 0, 6, batch, seq, false),
                randn(t, 9, batch * seq, 16), randn(t, 10, batch * heads, seq, 6));
        assertThrows(IllegalArgumentException.class, () -> gpu.gatherHeads(randn(t, 1, batch * seq, 20), 1, 10,
                randn(t, 2, batch * heads, seq, 12), 2, 8, batch, seq, true));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void ropeSliceInterleavedAndHalvesForwardAndInverse(T t) {
        int[] pos = {0, 1, 2, 5, 40, 3, 1000};
        // scale 1, and a YaRN-like attention factor (DeepSeek-V3's mscale / mscale_all_dim): the kernel once dropped it
        double[] inv = new RopeTable(8, 10000.0).inverseFrequencies();
        for (RopeTable table : new RopeTable[] {new RopeTable(8, 10000.0), new RopeTable(inv, 1.0373)}) {
            for (boolean interleaved : new boolean[] {false, true}) {
                for (boolean inverse : new boolean[] {false, true}) {
                    check("ropeSlice scale " + table.scale() + " " + interleaved + " " + inverse, t,
                            (o, x) -> o.ropeSlice(x[0], pos, table, 12, 3, interleaved, inverse),
                            randn(t, 1, 7, 3 * 12));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void gatherAndScatterRowsWithRepeatsAndScales(T t) {
        int[] rows = {3, 0, 9, 3};
        double[] scales = {0.5, -1.0, 2.0, 1.25};
        for (double[] s : new double[][] {null, scales}) {
            check("gatherRows " + (s != null), t, (o, x) -> o.gatherRows(x[0], rows, s, x[1]), randn(t, 1, 10, 6),
                    randn(t, 2, 5, 6));
            check("scatterAddRows " + (s != null), t, (o, x) -> o.scatterAddRows(x[0], rows, s, x[1]),
                    randn(t, 3, 4, 6), randn(t, 4, 10, 6));
        }
        INDArray a = randn(t, 5, 10, 300);
        INDArray b = randn(t, 6, 4, 300);
        double[] want = cpu.gatheredRowDots(a, rows, b);
        double[] got = gpu.gatheredRowDots(a.dup(), rows, b.dup());
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], t.tol * Math.max(1.0, Math.abs(want[i])) * 10, "gatheredRowDots " + i);
        }
        assertEquals(0, gpu.gatheredRowDots(a, new int[0], b).length);
        assertThrows(IllegalArgumentException.class, () -> gpu.gatherRows(a, new int[] {10}, null, b));
    }

    @ParameterizedTest
    @EnumSource(T.class)
    void latentDecodeAttentionAtSmallAndV2LiteRank(T t) {
        int heads = 3;
        int batch = 3;
        int cap = 20;
        int[] lengths = {7, 0, 19};
        for (int[] dims : new int[][] {{16, 8}, {512, 64}}) {
            int rank = dims[0];
            int rope = dims[1];
            check("latentDecodeAttention " + rank, t, (o, x) -> o.latentDecodeAttention(x[0], x[1], x[2], x[3], lengths,
                    x[4], 0.1), randn(t, 1, heads, batch, rank), randn(t, 2, heads, batch, rope),
                    randn(t, 3, batch, 1, cap, rank), randn(t, 4, batch, 1, cap, rope),
                    randn(t, 5, heads, batch, rank));
        }
    }

    @Test
    void hostWritesAndViewsStayConsistent() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 8, 5);
        INDArray b = Nd4j.create(DataType.FLOAT, 8, 5);
        gpu.copy(a, b); // b is device-newer now
        gpu.scale(b.getRow(2), 2.0); // a view of the same buffer
        gpu.toHost(b);
        assertEquals(2.0 * a.getDouble(2, 1), b.getDouble(2, 1), 1e-6);
        assertEquals(a.getDouble(3, 4), b.getDouble(3, 4), 0.0);
        gpu.scale(b.getRow(3), 3.0); // device-newer again: the edit below must download it first
        gpu.editOnHost(() -> b.putScalar(0, 0, 42.0), b);
        INDArray c = Nd4j.create(DataType.FLOAT, 8, 5);
        gpu.copy(b, c);
        gpu.toHost(c);
        assertEquals(42.0, c.getDouble(0, 0), 0.0);
        assertEquals(2.0 * a.getDouble(2, 1), c.getDouble(2, 1), 1e-6);
        assertEquals(3.0 * a.getDouble(3, 4), c.getDouble(3, 4), 1e-6);
        assertThrows(IllegalStateException.class, () -> gpu.editOnHost(() -> {
            c.putScalar(1, 1, -7.0);
            throw new IllegalStateException("edit failed half-way");
        }, c));
        INDArray d = Nd4j.create(DataType.FLOAT, 8, 5);
        gpu.copy(c, d); // what the edit wrote before it failed is uploaded, not lost
        gpu.toHost(d);
        assertEquals(-7.0, d.getDouble(1, 1), 0.0);
    }

    @Test
    void manyShortLivedArraysDoNotExhaustTheDevice() {
        // 2 GB in all, 64 MB at a time: mirrors of collected buffers must go back to the allocator.
        long before = gpu.deviceBytes()[0];
        for (int i = 0; i < 32; i++) {
            INDArray x = Nd4j.create(DataType.FLOAT, 16L << 20);
            gpu.scale(x, 2.0);
            if (i % 4 == 3) {
                System.gc();
            }
        }
        System.gc();
        gpu.scale(Nd4j.create(DataType.FLOAT, 4), 1.0); // reaps what the collector found
        assertTrue(gpu.deviceBytes()[0] - before < (1L << 30), "device bytes still held: " + gpu.deviceBytes()[0]);
    }

    /**
     * holdInBf16 on a frozen weight: its host copy is rounded as the CPU backend rounds it; lookups and copies read the
     * bf16 copy exactly, a product within bf16 rounding of the activation (CudaBf16Test checks products closely);
     * an op that would write it is refused and leaves it unchanged.
     */
    @Test
    void frozenBf16WeightsAreRoundedReadAndNeverWritten() {
        INDArray w = randn(T.F32, 91, 48, 40);
        INDArray onCpu = w.dup('c');
        INDArray onGpu = w.dup('c');
        cpu.holdInBf16(onCpu, false);
        gpu.holdInBf16(onGpu, false);
        gpu.toHost(onGpu);
        assertEquals(0.0, onCpu.sub(onGpu).amaxNumber().doubleValue(), "host copies rounded alike");
        int[] ids = {0, 47, 3, 3};
        INDArray eCpu = Nd4j.create(DataType.FLOAT, 4, 40);
        INDArray eGpu = Nd4j.create(DataType.FLOAT, 4, 40);
        cpu.embeddingForward(ids, onCpu, eCpu);
        gpu.embeddingForward(ids, onGpu, eGpu);
        gpu.toHost(eGpu);
        assertEquals(0.0, eCpu.sub(eGpu).amaxNumber().doubleValue(), "bf16 embedding lookup");
        INDArray copied = Nd4j.create(DataType.FLOAT, 48, 40);
        gpu.copy(onGpu, copied);
        gpu.toHost(copied);
        assertEquals(0.0, onCpu.sub(copied).amaxNumber().doubleValue(), "copy out of a bf16 weight");
        INDArray x = randn(T.F32, 92, 16, 40);
        INDArray yCpu = Nd4j.create(DataType.FLOAT, 16, 48);
        INDArray yGpu = Nd4j.create(DataType.FLOAT, 16, 48);
        cpu.gemm(x, onCpu, yCpu, false, true, 1.0, 0.0);
        gpu.gemm(x.dup('c'), onGpu, yGpu, false, true, 1.0, 0.0);
        gpu.toHost(yGpu);
        double err = yCpu.sub(yGpu).amaxNumber().doubleValue() / Math.max(1.0, yCpu.amaxNumber().doubleValue());
        assertTrue(err < 2e-2, "bf16 product differs by " + err);
        assertThrows(IllegalStateException.class, () -> gpu.scale(onGpu, 2.0));
        gpu.toHost(onGpu);
        assertEquals(0.0, onCpu.sub(onGpu).amaxNumber().doubleValue(), "unchanged after the refused write");
    }

    /** Bits of each element, NaN canonicalised. */
    private static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + want[i]);
            }
        }
    }

    /** What the device holds for w, read back through a device copy (a frozen weight's bf16 values widened). */
    private static float[] onDevice(INDArray w) {
        INDArray out = Nd4j.create(DataType.FLOAT, w.shape());
        gpu.copy(w, out);
        gpu.toHost(out);
        return out.data().asFloat();
    }

    /**
     * loadBf16 over a tensor of several chunks (offsets a tiny model never reaches): a frozen weight's bf16 copy and a
     * trainable weight's float32 copy (widened on the device) hold the CPU backend's widened values bit for bit, and so
     * do the host copies; a weight not held takes no device memory until first read. CudaBf16Test loads checkpoints.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void loadBf16FillsEveryChunkAsTheCpuDoes(boolean frozen) {
        int n = 2 * Bf16Source.CHUNK_ELEMENTS + 4099;
        Bf16Source source = new Bf16Source() {
            @Override
            public long elements() {
                return n;
            }

            @Override
            public void read(long offset, java.nio.ByteBuffer dst) {
                java.nio.ByteBuffer le = dst.order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (long i = offset; le.hasRemaining(); i++) {
                    // finite bf16 values of every magnitude and sign (exponent field 0..254), scrambled
                    int bits = (int) ((i * 40503L) & 0xffff);
                    if ((bits & 0x7f80) == 0x7f80) {
                        bits &= ~0x0080; // not infinity or NaN
                    }
                    le.putShort((short) bits);
                }
            }
        };
        INDArray want = Nd4j.create(DataType.FLOAT, n);
        cpu.loadBf16(want, source);
        INDArray w = Nd4j.create(DataType.FLOAT, n);
        gpu.holdInBf16(w, !frozen);
        gpu.loadBf16(w, source);
        assertEquals(frozen ? 2L * n : 6L * n, gpu.deviceBytesOf(w));
        assertSameBits(want.data().asFloat(), onDevice(w), (frozen ? "frozen" : "trainable") + " device copy");
        assertSameBits(want.data().asFloat(), w.data().asFloat(), "host copy");
        // a weight not held: filled on the host only, uploaded when an op first reads it
        INDArray plain = Nd4j.create(DataType.FLOAT, n);
        gpu.loadBf16(plain, source);
        assertEquals(0L, gpu.deviceBytesOf(plain));
        assertSameBits(want.data().asFloat(), onDevice(plain), "plain device copy");
        assertEquals(4L * n, gpu.deviceBytesOf(plain));
    }
}
