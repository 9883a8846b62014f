package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.policy.ops.Bf16;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused attention on the tensor cores (flash_mma.cu, taken with bf16 products: ALIGN4J_CUDA_BF16=1) against the CPU
 * backend's float64 attention of the bf16-rounded inputs: forward, log-sum-exp and the three gradients, for GQA
 * groups, ragged batches and several tiles. The bound (2e-2 of the largest value) is bf16 rounding of the
 * probabilities; a layout or masking error is of order 1. A head size the kernels are not built for (32) takes
 * kernels.cu's exact path. EmulatedKernelsTest runs the same kernels in a CPU emulation.
 */
@EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaTensorCoreFlashTest {
    private static CudaOps bf16Gpu;
    private final Ops cpu = Ops.cpu();

    @BeforeAll
    static void init() {
        bf16Gpu = new CudaOps(CudaOps.Options.defaults());
        bf16Gpu.useBf16Products(true); // what bf16: true does
    }

    private static INDArray randn(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    private static INDArray roundedDouble(INDArray a) {
        INDArray r = a.dup('c');
        Bf16.roundInPlace(r);
        return r.castTo(DataType.DOUBLE);
    }

    private static double relErr(INDArray want, INDArray got) {
        return want.sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue()
                / Math.max(1e-30, want.amaxNumber().doubleValue());
    }

    private void compare(int heads, int kv, int hd, int seq, int[] lengths, double bound) {
        compare(heads, kv, hd, hd, seq, lengths, bound);
    }

    private void compare(int heads, int kv, int hd, int hdV, int seq, int[] lengths, double bound) {
        int batch = lengths.length;
        double scale = 1 / Math.sqrt(hd);
        String what = heads + "/" + kv + " heads x " + hd + "/" + hdV + ", seq " + seq + ": ";
        INDArray q = randn(1, (long) batch * seq, (long) heads * hd);
        INDArray k = randn(2, (long) batch * seq, (long) kv * hd);
        INDArray v = randn(3, (long) batch * seq, (long) kv * hdV);
        INDArray dOut = randn(4, (long) batch * seq, (long) heads * hdV);
        INDArray out = Nd4j.create(DataType.FLOAT, batch * seq, heads * hdV);
        INDArray lse = Nd4j.create(DataType.FLOAT, (long) batch * heads * seq);
        INDArray dq = Nd4j.create(DataType.FLOAT, batch * seq, heads * hd);
        INDArray dk = Nd4j.create(DataType.FLOAT, batch * seq, kv * hd);
        INDArray dv = Nd4j.create(DataType.FLOAT, batch * seq, kv * hdV);
        bf16Gpu.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse);
        bf16Gpu.flashAttentionBackward(q, k, v, out, lse, dOut, lengths, seq, scale, dq, dk, dv);
        for (INDArray a : new INDArray[] {out, lse, dq, dk, dv}) {
            bf16Gpu.toHost(a);
            assertFalse(a.isNaN().any() || a.isInfinite().any(), what + "non-finite values");
        }

        INDArray q64 = roundedDouble(q);
        INDArray k64 = roundedDouble(k);
        INDArray v64 = roundedDouble(v);
        INDArray g64 = dOut.castTo(DataType.DOUBLE);
        INDArray out64 = Nd4j.create(DataType.DOUBLE, batch * seq, heads * hdV);
        INDArray lse64 = Nd4j.create(DataType.DOUBLE, (long) batch * heads * seq);
        INDArray dq64 = Nd4j.create(DataType.DOUBLE, batch * seq, heads * hd);
        INDArray dk64 = Nd4j.create(DataType.DOUBLE, batch * seq, kv * hd);
        INDArray dv64 = Nd4j.create(DataType.DOUBLE, batch * seq, kv * hdV);
        cpu.flashAttentionForward(q64, k64, v64, lengths, seq, scale, out64, lse64);
        cpu.flashAttentionBackward(q64, k64, v64, out64, lse64, g64, lengths, seq, scale, dq64, dk64, dv64);

        assertTrue(relErr(out64, out) <= bound, what + "out differs by " + relErr(out64, out));
        assertTrue(lse64.sub(lse.castTo(DataType.DOUBLE)).amaxNumber().doubleValue() <= 1e-4,
                what + "lse differs by " + lse64.sub(lse.castTo(DataType.DOUBLE)).amaxNumber());
        assertTrue(relErr(dq64, dq) <= bound, what + "dq differs by " + relErr(dq64, dq));
        assertTrue(relErr(dk64, dk) <= bound, what + "dk differs by " + relErr(dk64, dk));
        assertTrue(relErr(dv64, dv) <= bound, what + "dv differs by " + relErr(dv64, dv));
    }

    @Test
    void qwenShapedGroupsRaggedBatchesAndSeveralTiles() {
        compare(12, 2, 128, 300, new int[] {300, 177, 1}, 2e-2); // Qwen2.5-1.5B's heads
        compare(14, 2, 64, 130, new int[] {130, 64}, 2e-2); // Qwen2.5-0.5B's
        compare(2, 2, 128, 64, new int[] {64, 63}, 2e-2); // one query head per kv head
        compare(4, 1, 64, 517, new int[] {517}, 2e-2);
        compare(16, 16, 192, 128, 200, new int[] {200, 131}, 2e-2); // DeepSeek-V2-Lite's latent attention
    }

    /** With bf16 products off again, the same shape takes kernels.cu's exact kernels: the CPU's float32 result. */
    @Test
    void turnedOffTheExactKernelsRunAgain() {
        bf16Gpu.useBf16Products(false);
        try {
            int seq = 70;
            int[] lengths = {70, 40};
            INDArray q = randn(1, 2L * seq, 4 * 64);
            INDArray k = randn(2, 2L * seq, 2 * 64);
            INDArray v = randn(3, 2L * seq, 2 * 64);
            INDArray out = Nd4j.create(DataType.FLOAT, 2 * seq, 4 * 64);
            INDArray lse = Nd4j.create(DataType.FLOAT, 2L * 4 * seq);
            INDArray cpuOut = out.dup();
            INDArray cpuLse = lse.dup();
            bf16Gpu.flashAttentionForward(q, k, v, lengths, seq, 0.125, out, lse);
            bf16Gpu.toHost(out);
            cpu.flashAttentionForward(q, k, v, lengths, seq, 0.125, cpuOut, cpuLse);
            double err = cpuOut.castTo(DataType.DOUBLE).sub(out.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            assertTrue(err < 1e-5, "exact path differs from the CPU by " + err);
        } finally {
            bf16Gpu.useBf16Products(true);
        }
    }

    @Test
    void otherHeadSizesTakeTheExactKernels() {
        // kernels.cu's float32 path: float32 inputs, double accumulation; the bf16-rounded reference is off by
        // bf16 rounding of the inputs only
        compare(4, 2, 32, 40, new int[] {40, 7}, 2e-2);
    }
}
