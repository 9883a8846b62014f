package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.policy.ops.Bf16;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.cuda.CudaOps;
import org.align4j.policy.ops.cuda.CudaTesting;
import org.align4j.policy.train.AdamW;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mixed precision on the CUDA backend (bf16: true): bf16 cuBLAS products against a float64 reference, a frozen bf16
 * model's logits against float32, a training step with float32 masters and bf16 working copies against float32
 * training on the CPU, and the device bytes a frozen weight takes.
 */
@EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaBf16Test {
    private static CudaOps gpu;

    @BeforeAll
    static void useGpu() {
        gpu = CudaTesting.ops();
    }

    private static INDArray randn(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    private static INDArray rounded(INDArray a) {
        INDArray r = a.dup('c');
        Bf16.roundInPlace(r);
        return r;
    }

    /** alpha op(a) op(b) + beta c in float64. */
    private static INDArray reference(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha,
                                      double beta) {
        INDArray a64 = a.castTo(DataType.DOUBLE);
        INDArray b64 = b.castTo(DataType.DOUBLE);
        INDArray p = (ta ? a64.transpose() : a64).mmul(tb ? b64.transpose() : b64).muli(alpha);
        return p.addi(c.castTo(DataType.DOUBLE).mul(beta));
    }

    private static double relErr(INDArray want, INDArray got) {
        INDArray w = want.castTo(DataType.DOUBLE);
        return w.sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue()
                / Math.max(1.0, w.amaxNumber().doubleValue());
    }

    /**
     * A frozen bf16 weight times a float32 activation (either operand, every transpose, accumulating into c): equal
     * to the float64 product of the bf16-rounded inputs up to float32 accumulation, and within bf16 rounding of the
     * unrounded product.
     */
    @ParameterizedTest
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void bf16ProductsMatchTheFloat64Reference(boolean transA, boolean transB) {
        int m = 24;
        int k = 200;
        int n = 72;
        INDArray x = randn(1, transA ? k : m, transA ? m : k);
        INDArray w = randn(2, transB ? n : k, transB ? k : n);
        INDArray c0 = randn(3, m, n);
        INDArray held = w.dup('c');
        gpu.holdInBf16(held, false); // weight as the second operand
        INDArray c = c0.dup('c');
        gpu.gemm(x.dup('c'), held, c, transA, transB, 0.5, 1.0);
        gpu.toHost(c);
        double tight = relErr(reference(rounded(x), rounded(w), c0, transA, transB, 0.5, 1.0), c);
        double loose = relErr(reference(x, w, c0, transA, transB, 0.5, 1.0), c);
        System.out.printf("bf16 gemm %s%s: %.2e from the rounded-input reference, %.2e from float64%n",
                transA ? "T" : "N", transB ? "T" : "N", tight, loose);
        assertTrue(tight < 2e-5, "vs the float64 product of rounded inputs: " + tight);
        assertTrue(loose < 2e-2, "vs the float64 product: " + loose);

        // the weight as the first operand: c2 = op(w') op(x') with w' of shape [m, k] or [k, m]
        INDArray w2 = randn(4, transA ? k : m, transA ? m : k);
        INDArray x2 = randn(5, transB ? n : k, transB ? k : n);
        INDArray held2 = w2.dup('c');
        gpu.holdInBf16(held2, false);
        INDArray c2 = Nd4j.create(DataType.FLOAT, m, n);
        gpu.gemm(held2, x2.dup('c'), c2, transA, transB, 1.0, 0.0);
        gpu.toHost(c2);
        double tight2 = relErr(reference(rounded(w2), rounded(x2), Nd4j.zeros(DataType.FLOAT, m, n), transA, transB,
                1.0, 0.0), c2);
        assertTrue(tight2 < 2e-5, "weight first: " + tight2);
    }

    /**
     * A trainable weight: the float32 master stays exact, products read its bf16 working copy, and the copy follows
     * the master after a device write (an optimizer step) and after a host edit.
     */
    @Test
    void aTrainableWeightsWorkingCopyFollowsItsMaster() {
        INDArray w = randn(6, 32, 64);
        INDArray master = w.dup('c');
        gpu.holdInBf16(master, true);
        INDArray x = randn(7, 8, 64);
        INDArray y = Nd4j.create(DataType.FLOAT, 8, 32);
        gpu.gemm(x, master, y, false, true, 1.0, 0.0);
        gpu.toHost(y);
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, 8, 32);
        assertTrue(relErr(reference(rounded(x), rounded(w), zeros, false, true, 1.0, 0.0), y) < 2e-5);
        gpu.toHost(master);
        assertEquals(0.0, master.sub(w).amaxNumber().doubleValue(), "the master is not rounded");
        assertEquals(4L * 32 * 64 + 2L * 32 * 64, gpu.deviceBytesOf(master), "float32 master + bf16 copy");

        // an optimizer step writes the master on the device
        INDArray grad = randn(8, 32, 64);
        INDArray mom = Nd4j.zeros(DataType.FLOAT, 32, 64);
        INDArray vel = Nd4j.zeros(DataType.FLOAT, 32, 64);
        gpu.adamW(master, grad, mom, vel, 1e-2, 0.9, 0.999, 1e-8, 0.0, 1);
        gpu.gemm(x, master, y, false, true, 1.0, 0.0);
        gpu.toHost(y);
        gpu.toHost(master);
        assertTrue(master.sub(w).amaxNumber().doubleValue() > 5e-3, "the step moved the master");
        assertTrue(relErr(reference(rounded(x), rounded(master), zeros, false, true, 1.0, 0.0), y) < 2e-5,
                "the product after the step reads the refreshed copy");

        // a host edit
        gpu.editOnHost(() -> master.muli(-3.0f), master);
        INDArray edited = master.dup('c');
        gpu.gemm(x, master, y, false, true, 1.0, 0.0);
        gpu.toHost(y);
        assertTrue(relErr(reference(rounded(x), rounded(edited), zeros, false, true, 1.0, 0.0), y) < 2e-5,
                "the product after a host edit reads the refreshed copy");
    }

    private static long matrixElements(CausalLM m) {
        long n = 0;
        for (Parameter p : m.parameters()) {
            if (p.value().rank() == 2) {
                n += p.size();
            }
        }
        return n;
    }

    private static long matrixDeviceBytes(CausalLM m) {
        long n = 0;
        for (Parameter p : m.parameters()) {
            if (p.value().rank() == 2) {
                n += gpu.deviceBytesOf(p.value());
            }
        }
        return n;
    }

    /** A frozen model's matrices take 2 bytes an element on the device, half of float32, and nothing else. */
    @Test
    void frozenWeightsTakeHalfTheDeviceBytes() {
        Path dir = HfConformanceTest.fixture("model_qwen2");
        TokenBatch b = TokenBatch.of(new int[] {1, 5, 300, 7});
        CausalLM fp32 = HfCheckpoint.load(dir, gpu);
        fp32.forward(b).logits();
        long elements = matrixElements(fp32);
        assertEquals(4 * elements, matrixDeviceBytes(fp32));
        long before = gpu.deviceBytes()[0];
        fp32.storeInBf16(true); // converts the float32 mirrors in place
        long after = gpu.deviceBytes()[0];
        fp32.forward(b).logits();
        assertEquals(2 * elements, matrixDeviceBytes(fp32));
        System.out.printf("frozen bf16: %d matrix elements, %d bytes on the device (float32: %d); live bytes fell by"
                + " %d%n", elements, matrixDeviceBytes(fp32), 4 * elements, before - after);
        assertTrue(before - after >= 2 * elements * 95 / 100, "live device bytes fell by " + (before - after));

        CausalLM ref = HfCheckpoint.load(dir, gpu);
        ref.storeInBf16(true);
        ref.forward(b).logits();
        assertEquals(2 * elements, matrixDeviceBytes(ref));
    }

    /** A frozen bf16 model (a reference) against the float32 one and against the CPU's bf16 emulation. */
    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2"})
    void aFrozenBf16ModelGivesLogitsWithin1e2OfFloat32(String name) throws IOException {
        Path dir = HfConformanceTest.fixture(name);
        JsonNode exp = HfConformanceTest.expected(dir);
        TokenBatch batch = TokenBatch.of(HfConformanceTest.ids(exp.get("input_ids")));
        CausalLM fp32 = HfCheckpoint.load(dir, gpu);
        CausalLM bf16 = HfCheckpoint.load(dir, gpu);
        bf16.storeInBf16(true);
        CausalLM emulated = HfCheckpoint.load(dir);
        emulated.storeInBf16(true);
        Forward f32 = fp32.forward(batch);
        Forward fbf = bf16.forward(batch);
        Forward fem = emulated.forward(batch);
        double vsFp32 = relErr(f32.logits(), fbf.logits());
        double vsEmulation = relErr(fem.logits(), fbf.logits());
        double[][] lp32 = f32.tokenLogProbs();
        double[][] lpbf = fbf.tokenLogProbs();
        double lpErr = 0;
        for (int i = 0; i < lp32.length; i++) {
            for (int t = 0; t < lp32[i].length; t++) {
                lpErr = Math.max(lpErr, Math.abs(lp32[i][t] - lpbf[i][t]));
            }
        }
        System.out.printf("%s bf16 on cuda: logits %.2e from float32, %.2e from the CPU emulation; log-probs %.2e%n",
                name, vsFp32, vsEmulation, lpErr);
        assertTrue(vsFp32 > 0 && vsFp32 < 1e-2, "logits vs float32: " + vsFp32);
        assertTrue(vsEmulation < 1e-2, "logits vs the CPU emulation: " + vsEmulation);
        assertTrue(lpErr < 1e-2, "log-probs vs float32: " + lpErr);
    }

    /**
     * Worst and mean relative L2 error of got's gradients against want's, per parameter. k_proj's bias is left out: it
     * adds the same score to every key of a query, which softmax ignores, so its exact gradient is 0 and both backends
     * hold only rounding noise there.
     */
    private static double[] gradientErrors(CausalLM want, CausalLM got) {
        double worst = 0;
        double total = 0;
        int n = 0;
        for (Parameter p : want.parameters()) {
            Parameter q = got.parameter(p.name());
            gpu.toHost(q.grad());
            double norm = p.grad().norm2Number().doubleValue();
            if (norm == 0 || p.name().endsWith("k_proj.bias")) {
                continue;
            }
            double e = p.grad().sub(q.grad()).norm2Number().doubleValue() / norm;
            worst = Math.max(worst, e);
            total += e;
            n++;
        }
        return new double[] {worst, total / n};
    }

    /**
     * One step of full training with float32 masters and bf16 working copies on the GPU against float32 training on
     * the CPU: gradients agree to bf16 precision, and the step changes the logits as the float32 step does (a stale
     * working copy would leave them unchanged).
     */
    @Test
    void oneTrainingStepWithBf16WorkingCopiesMatchesFloat32Training() {
        Path dir = HfConformanceTest.fixture("model_qwen2");
        CausalLM onGpu = HfCheckpoint.load(dir, gpu);
        onGpu.storeInBf16(false);
        CausalLM onCpu = HfCheckpoint.load(dir);
        TokenBatch b = TokenBatch.of(new int[] {1, 5, 300, 7, 42, 9, 77, 3}, new int[] {11, 511, 3, 250, 8});
        double[][] coef = CausalLMGradientTest.coefficients(b, 5);
        INDArray[] before = new INDArray[2];
        INDArray[] after = new INDArray[2];
        int i = 0;
        for (CausalLM m : List.of(onCpu, onGpu)) {
            before[i] = m.forward(b).logits().dup();
            m.zeroGrad();
            m.forward(b).backward(coef);
            i++;
        }
        double[] g = gradientErrors(onCpu, onGpu);
        System.out.printf("bf16 training: gradient error worst %.2e, mean %.2e (relative L2 per parameter)%n", g[0],
                g[1]);
        assertTrue(g[0] < 1e-1 && g[1] < 3e-2, "gradients: worst " + g[0] + ", mean " + g[1]);
        i = 0;
        for (CausalLM m : List.of(onCpu, onGpu)) {
            new AdamW(m.parameters(), AdamW.Options.defaults(), m.ops()).step(1e-3);
            after[i] = m.forward(b).logits().dup();
            i++;
        }
        INDArray dCpu = after[0].sub(before[0]);
        INDArray dGpu = after[1].sub(before[1]);
        double change = dGpu.sub(dCpu).norm2Number().doubleValue() / dCpu.norm2Number().doubleValue();
        System.out.printf("bf16 training: the step's logit change differs by %.2e (relative L2)%n", change);
        assertTrue(change < 0.5, "the step's change of the logits differs by " + change);
        assertTrue(relErr(after[0], after[1]) < 1e-2, "logits after the step");
        // the masters are float32 (not rounded) and moved by at most ~lr per element, as on the CPU
        Map<String, INDArray> cw = onCpu.weights();
        onGpu.weights().forEach((name, w) -> {
            double d = w.sub(cw.get(name)).amaxNumber().doubleValue();
            assertTrue(d <= 2.05e-3, name + " differs from float32 training by " + d);
        });
    }

    /**
     * bf16: true's training pass with flash_attention_2 on a model of head_dim 64 (a size flash_mma.cu is built for):
     * every product in bf16 and attention on the tensor cores, against float32 eager training on the CPU. Log-probs and
     * gradients agree to bf16 precision over rows of several tiles (the wiring from the model to the kernels and back;
     * CudaTensorCoreFlashTest checks the kernels alone).
     */
    @Test
    void tensorCoreAttentionTrainingPassMatchesFloat32() {
        ModelConfig c = new ModelConfig(ModelConfig.QWEN2, 64, 256, 192, 2, 4, 2, 64, 256, 1e-6, 10000.0, true, true, 1,
                new int[] {2});
        CausalLM onCpu = CausalLMGradientTest.randomModel(c, 17);
        Map<String, INDArray> w = new LinkedHashMap<>();
        // matrices scaled to std 0.075: activations and logits of order 1, so that bf16 rounding stays ~1e-2
        onCpu.weights().forEach((k, v) -> w.put(k, v.rank() == 2 ? v.castTo(DataType.FLOAT).muli(0.15)
                : v.castTo(DataType.FLOAT)));
        onCpu = CausalLM.fromWeights(c, w, DataType.FLOAT);
        Map<String, INDArray> w2 = new LinkedHashMap<>();
        w.forEach((k, v) -> w2.put(k, v.dup()));
        CausalLM onGpu = CausalLM.fromWeights(c, w2, DataType.FLOAT, gpu);
        onGpu.setAttnImplementation(CausalLM.FLASH_ATTENTION_2);
        onGpu.storeInBf16(false);
        java.util.Random r = new java.util.Random(3);
        int[][] rows = {new int[150], new int[97]};
        for (int[] row : rows) {
            for (int t = 0; t < row.length; t++) {
                row[t] = 3 + r.nextInt(60);
            }
        }
        TokenBatch b = TokenBatch.of(rows);
        double[][] coef = CausalLMGradientTest.coefficients(b, 6);
        gpu.useBf16Products(true);
        try {
            double[][][] lp = new double[2][][];
            int i = 0;
            for (CausalLM m : List.of(onCpu, onGpu)) {
                lp[i++] = CausalLMGradientTest.forwardBackward(m, b, coef);
            }
            double lpErr = 0;
            for (int row = 0; row < lp[0].length; row++) {
                for (int t = 0; t < lp[0][row].length; t++) {
                    lpErr = Math.max(lpErr, Math.abs(lp[0][row][t] - lp[1][row][t]));
                }
            }
            double[] g = gradientErrors(onCpu, onGpu);
            System.out.printf("tensor-core attention training pass: log-probs %.2e, gradient error worst %.2e, mean "
                    + "%.2e%n", lpErr, g[0], g[1]);
            assertTrue(lpErr < 5e-2, "log-probs differ by " + lpErr);
            assertTrue(g[0] < 1e-1 && g[1] < 3e-2, "gradients: worst " + g[0] + ", mean " + g[1]);
        } finally {
            gpu.useBf16Products(false);
        }
    }

    /** LoRA with bf16 bases: the adapters' gradients agree with the CPU emulation; the bases take 2 bytes a weight. */
    @Test
    void loraOnBf16BasesMatchesTheCpuEmulation() {
        Path dir = HfConformanceTest.fixture("model_llama");
        LoraConfig lora = new LoraConfig(4, 8, 0.0, false, List.of("q_proj", "v_proj", "down_proj"), false);
        CausalLM onCpu = HfCheckpoint.load(dir);
        Map<String, INDArray> adapters = new LinkedHashMap<>();
        long seed = 40;
        for (String module : lora.select(onCpu.linearModules())) {
            long[] shape = onCpu.weights().get(module + ".weight").shape();
            adapters.put(module + ".lora_A.weight", randn(seed++, 4, shape[1]).muli(0.1));
            adapters.put(module + ".lora_B.weight", randn(seed++, shape[0], 4).muli(0.1));
        }
        CausalLM onGpu = HfCheckpoint.load(dir, gpu);
        for (CausalLM m : List.of(onCpu, onGpu)) {
            m.addAdapters(lora, adapters, 0);
            m.storeInBf16(false);
        }
        TokenBatch b = TokenBatch.of(new int[] {1, 5, 30, 7, 42, 9}, new int[] {11, 51, 3});
        double[][] coef = CausalLMGradientTest.coefficients(b, 9);
        for (CausalLM m : List.of(onCpu, onGpu)) {
            m.zeroGrad();
            m.forward(b).backward(coef);
        }
        double[] g = gradientErrors(onCpu, onGpu);
        System.out.printf("LoRA on bf16 bases: adapter gradient error worst %.2e, mean %.2e%n", g[0], g[1]);
        assertTrue(g[0] < 1e-1 && g[1] < 3e-2, "adapter gradients: worst " + g[0] + ", mean " + g[1]);
        INDArray base = onGpu.weights().get("model.layers.0.self_attn.q_proj.weight");
        assertEquals(2L * base.length(), gpu.deviceBytesOf(base), "a LoRA base holds bf16 only");
        assertEquals(0.0, base.sub(onCpu.weights().get("model.layers.0.self_attn.q_proj.weight")).amaxNumber()
                .doubleValue(), "rounded alike on both backends");
    }

    // ------------------------------------------------------------------ bf16 checkpoints loaded as bf16 (loadBf16)

    /** What the device holds for w, read back through a device copy (a frozen weight's bf16 values widened). */
    private static float[] onDevice(INDArray w) {
        INDArray out = Nd4j.create(DataType.FLOAT, w.shape());
        gpu.copy(w, out);
        gpu.toHost(out);
        return out.data().asFloat();
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + want[i]);
            }
        }
    }

    /**
     * Every weight of model on the device and on the host is the CPU reference's (today's widening load, bit for bit),
     * and the logits are the old GPU path's.
     */
    private static void assertLoadedAsTheReference(CausalLM ref, CausalLM oldPath, CausalLM loaded, String what) {
        Map<String, INDArray> want = ref.weights();
        Map<String, INDArray> old = oldPath.weights();
        loaded.weights().forEach((name, w) -> {
            float[] cpu = want.get(name).data().asFloat();
            assertSameBits(cpu, w.data().asFloat(), what + " host copy of " + name);
            assertSameBits(cpu, onDevice(w), what + " device copy of " + name);
            assertSameBits(onDevice(old.get(name)), onDevice(w), what + " device copy of " + name + " vs the old path");
        });
        TokenBatch b = TokenBatch.of(new int[] {1, 5, 300, 7, 42, 9});
        INDArray lo = oldPath.forward(b).logits().dup();
        gpu.toHost(lo);
        INDArray ln = loaded.forward(b).logits().dup();
        gpu.toHost(ln);
        double e = relErr(lo, ln);
        System.out.printf("%s: logits %.2e from the old path's%n", what, e);
        assertTrue(e < 1e-6, what + ": logits vs the old path: " + e);
    }

    /**
     * A BF16 checkpoint loaded into frozen weights (a reference model): the bytes go to the device as they are, the
     * matrices take 2 bytes an element there (no float32 mirror), and the device and host values are those of today's
     * path (widen on the host, then hold frozen) and of the CPU reference, bit for bit.
     */
    @Test
    void aBf16CheckpointLoadsIntoFrozenWeightsAsItsBytes(@TempDir Path tmp) throws IOException {
        Path dir = Bf16LoadTest.bf16Copy("model_qwen2", tmp.resolve("bf16"), 0);
        CausalLM ref = Bf16LoadTest.widened(dir, Ops.cpu());
        ref.storeInBf16(true);
        CausalLM oldPath = Bf16LoadTest.widened(dir, gpu);
        oldPath.storeInBf16(true);
        CausalLM loaded = HfCheckpoint.loadHeldInBf16(dir, gpu, true);
        for (Parameter p : loaded.parameters()) {
            if (p.value().rank() == 2) {
                assertEquals(2L * p.size(), gpu.deviceBytesOf(p.value()), p.name() + " is held as bf16 only");
            }
        }
        assertLoadedAsTheReference(ref, oldPath, loaded, "frozen bf16 load");
    }

    /**
     * A BF16 checkpoint loaded into trainable weights, held from the start (each float32 master widened on the device
     * from the bytes) or held after the load as TrainingConfig does (filled on the host, uploaded when first read):
     * bit for bit the old path's and the CPU's on the device and the host, and the products read working copies made
     * from them.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aBf16CheckpointLoadsIntoTrainableMastersWidenedOnTheDevice(boolean heldFirst, @TempDir Path tmp)
            throws IOException {
        Path dir = Bf16LoadTest.bf16Copy("model_qwen2", tmp.resolve("bf16"), 0);
        CausalLM ref = Bf16LoadTest.widened(dir, Ops.cpu());
        CausalLM oldPath = Bf16LoadTest.widened(dir, gpu);
        oldPath.storeInBf16(false);
        CausalLM loaded;
        if (heldFirst) {
            loaded = HfCheckpoint.loadHeldInBf16(dir, gpu, false);
        } else {
            loaded = HfCheckpoint.load(dir, gpu);
            loaded.storeInBf16(false);
        }
        for (Parameter p : loaded.parameters()) {
            if (p.value().rank() == 2) {
                assertEquals(6L * p.size(), gpu.deviceBytesOf(p.value()), p.name() + ": float32 master + bf16 copy");
            }
        }
        assertLoadedAsTheReference(ref, oldPath, loaded, "trainable bf16 load" + (heldFirst ? " (held first)" : ""));
    }
}
