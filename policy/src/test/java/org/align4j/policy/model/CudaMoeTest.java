package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.cuda.CudaOps;
import org.align4j.policy.ops.cuda.CudaTesting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DeepSeekMoE kernels of moe.cu against the CPU reference (MoeCpuKernels), op by op (the same expert choices
 * exactly; values within 1e-12 in float64 and float32 rounding), and tiny DeepSeek-V2 and V3 models giving the same
 * logits, expert loads and gradients on both backends.
 */
@org.junit.jupiter.api.condition.EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaMoeTest {
    private static CudaOps gpu;
    private final Ops cpu = Ops.cpu();

    @BeforeAll
    static void useGpu() {
        gpu = CudaTesting.ops();
    }

    private static double tol(DataType t) {
        return t == DataType.DOUBLE ? 1e-12 : 1e-5;
    }

    private static void assertClose(INDArray want, INDArray got, double tol, String what) {
        gpu.toHost(got);
        double scale = Math.max(1.0, want.castTo(DataType.DOUBLE).amaxNumber().doubleValue());
        double err = want.castTo(DataType.DOUBLE).sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(err <= tol * scale, what + ": max |cpu - cuda| = " + err);
    }

    private static int[] ints(INDArray a) {
        gpu.toHost(a);
        return a.ravel().toIntVector();
    }

    @ParameterizedTest
    @CsvSource({"v2-greedy,DOUBLE,37", "v2-groups,DOUBLE,37", "v3,DOUBLE,37", "v3-one-group,DOUBLE,37",
            "v3-large,DOUBLE,300", "v2-greedy,FLOAT,37", "v2-groups,FLOAT,37", "v3,FLOAT,37", "v3-large,FLOAT,700"})
    void routingSortAndReplayMatchTheCpu(String variant, DataType dtype, int rows) {
        MoeConfig c = MoeRoutingOpsTest.config(variant);
        int k = c.numExpertsPerTok();
        int experts = c.nRoutedExperts();
        INDArray logits = MoeRoutingOpsTest.logits(c, rows, 41).castTo(dtype);
        INDArray b = MoeRoutingOpsTest.bias(c, 42);
        INDArray bias = b == null ? null : b.castTo(dtype);
        boolean[] valid = MoeRoutingOpsTest.valid(rows);
        MoeRoutingOpsTest.Routed want = MoeRoutingOpsTest.route(cpu, c, logits, bias, valid);
        MoeRoutingOpsTest.Routed got = MoeRoutingOpsTest.route(gpu, c, logits, bias, valid);
        assertArrayEquals(want.experts(), got.experts(), "expert choices");
        assertClose(want.scores(), got.scores(), tol(dtype), "scores");
        assertClose(want.weight(), got.weight(), tol(dtype), "weights");
        // valid == null: every row routes
        MoeRoutingOpsTest.Routed allWant = MoeRoutingOpsTest.route(cpu, c, logits, bias, null);
        MoeRoutingOpsTest.Routed allGot = MoeRoutingOpsTest.route(gpu, c, logits, bias, null);
        assertArrayEquals(allWant.experts(), allGot.experts(), "expert choices without padding");

        // the sort by expert (more than one tile of 1024 pairs for the larger shapes)
        int n = rows * k;
        INDArray[] cpuSort = {Nd4j.create(DataType.INT, n), Nd4j.create(DataType.INT, n),
            Nd4j.create(DataType.INT, experts + 1)};
        INDArray[] gpuSort = {Nd4j.create(DataType.INT, n), Nd4j.create(DataType.INT, n),
            Nd4j.create(DataType.INT, experts + 1)};
        cpu.moeSortByExpert(want.top(), experts, cpuSort[0], cpuSort[1], cpuSort[2]);
        gpu.moeSortByExpert(got.top(), experts, gpuSort[0], gpuSort[1], gpuSort[2]);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(cpuSort[i].toIntVector(), ints(gpuSort[i]), new String[] {"order", "slotOf", "offsets"}[i]);
        }

        // replay: other logits, the first choices kept
        INDArray other = MoeRoutingOpsTest.logits(c, rows, 43).castTo(dtype);
        INDArray[] outs = new INDArray[6];
        for (int i = 0; i < 2; i++) {
            outs[3 * i] = Nd4j.create(dtype, rows, experts);
            outs[3 * i + 1] = want.top().dup();
            outs[3 * i + 2] = Nd4j.create(dtype, rows, k);
        }
        cpu.moeRoute(other, bias, c.gate(), valid, true, outs[0], outs[1], outs[2]);
        gpu.moeRoute(other, bias, c.gate(), valid, true, outs[3], outs[4], outs[5]);
        assertArrayEquals(want.experts(), ints(outs[4]), "replayed choices");
        assertClose(outs[2], outs[5], tol(dtype), "replayed weights");

        // the backward pass of the routing, with and without a direct score gradient
        Nd4j.getRandom().setSeed(44);
        INDArray dw = Nd4j.randn(DataType.DOUBLE, rows, k).castTo(dtype);
        INDArray ds = Nd4j.randn(DataType.DOUBLE, rows, experts).castTo(dtype);
        for (INDArray extra : new INDArray[] {ds, null}) {
            INDArray dlCpu = Nd4j.create(dtype, rows, experts);
            INDArray dlGpu = Nd4j.create(dtype, rows, experts);
            cpu.moeRouteBackward(want.scores(), want.top(), dw, extra, c.gate(), dlCpu);
            gpu.moeRouteBackward(got.scores(), got.top(), dw, extra, c.gate(), dlGpu);
            assertClose(dlCpu, dlGpu, tol(dtype), "dLogits" + (extra == null ? " (weights only)" : ""));
        }
    }

    @ParameterizedTest
    @CsvSource({"DOUBLE,true", "DOUBLE,false", "FLOAT,true", "FLOAT,false"})
    void gatherCombineAndWeightGradientMatchTheCpu(DataType dtype, boolean weighted) {
        MoeConfig c = MoeRoutingOpsTest.config("v3-large");
        int rows = 150;
        int k = c.numExpertsPerTok();
        int w = 96;
        int n = rows * k;
        boolean[] valid = MoeRoutingOpsTest.valid(rows);
        MoeRoutingOpsTest.Routed r = MoeRoutingOpsTest.route(cpu, c, MoeRoutingOpsTest.logits(c, rows, 51).castTo(dtype),
                MoeRoutingOpsTest.bias(c, 52).castTo(dtype), valid);
        INDArray order = Nd4j.create(DataType.INT, n);
        INDArray slotOf = Nd4j.create(DataType.INT, n);
        INDArray offsets = Nd4j.create(DataType.INT, c.nRoutedExperts() + 1);
        cpu.moeSortByExpert(r.top(), c.nRoutedExperts(), order, slotOf, offsets);
        int slots = offsets.getInt(c.nRoutedExperts());
        INDArray weight = weighted ? r.weight() : null;
        Nd4j.getRandom().setSeed(53);
        INDArray x = Nd4j.randn(DataType.DOUBLE, rows, w).castTo(dtype);
        INDArray packed = Nd4j.randn(DataType.DOUBLE, n, w).castTo(dtype);

        INDArray gCpu = Nd4j.zeros(dtype, n, w);
        INDArray gGpu = Nd4j.zeros(dtype, n, w);
        cpu.moeGather(x, order, k, weight, slots, gCpu);
        gpu.moeGather(x, order, k, weight, slots, gGpu);
        assertClose(gCpu, gGpu, tol(dtype), "moeGather");

        INDArray cCpu = x.dup();
        INDArray cGpu = x.dup();
        cpu.moeCombine(packed, slotOf, weight, cCpu);
        gpu.moeCombine(packed, slotOf, weight, cGpu);
        assertClose(cCpu, cGpu, tol(dtype), "moeCombine");

        INDArray dwCpu = Nd4j.create(dtype, rows, k);
        INDArray dwGpu = Nd4j.create(dtype, rows, k);
        cpu.moeCombineWeightGrad(x, packed, slotOf, dwCpu);
        gpu.moeCombineWeightGrad(x, packed, slotOf, dwGpu);
        assertClose(dwCpu, dwGpu, tol(dtype) * 10, "moeCombineWeightGrad");
    }

    /**
     * The tiny DeepSeek-V2 (softmax, greedy) and V3 (sigmoid, correction bias, group-limited) models of
     * DeepSeekGradientTest with the same weights on both backends: logits, expert loads (so the same experts were
     * chosen) and, in float64, every parameter's gradient.
     */
    @ParameterizedTest
    @CsvSource({"v2,DOUBLE", "v3,DOUBLE", "v2,FLOAT", "v3,FLOAT"})
    void tinyDeepSeekModelsGiveTheSameLogitsOnBothBackends(String variant, DataType dtype) {
        ModelConfig config = DeepSeekGradientTest.tiny(variant);
        CausalLM source = DeepSeekGradientTest.randomModel(config, 61);
        CausalLM onCpu = CausalLM.fromWeights(config, source.weights(), dtype, Ops.cpu());
        CausalLM onGpu = CausalLM.fromWeights(config, source.weights(), dtype, gpu);
        assertEquals("cuda", onGpu.ops().name());
        TokenBatch batch = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(batch, 62);
        Forward fc = onCpu.forward(batch);
        Forward fg = onGpu.forward(batch);
        INDArray lc = fc.logits();
        INDArray lg = fg.logits();
        double err = lc.castTo(DataType.DOUBLE).sub(lg.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        System.out.println("tiny " + variant + " " + dtype + ": max |logit cpu - cuda| = " + err);
        assertTrue(err < (dtype == DataType.DOUBLE ? 1e-10 : 1e-4), "max |logit cpu - cuda| = " + err);
        long[][] loadCpu = onCpu.expertLoad();
        long[][] loadGpu = onGpu.expertLoad();
        for (int l = 0; l < loadCpu.length; l++) {
            assertArrayEquals(loadCpu[l], loadGpu[l], "expert load of MoE layer " + l);
        }
        if (dtype == DataType.DOUBLE) {
            onCpu.zeroGrad();
            onGpu.zeroGrad();
            fc.backward(coef);
            fg.backward(coef);
            for (Parameter p : onCpu.parameters()) {
                Parameter q = onGpu.parameter(p.name());
                gpu.toHost(q.grad());
                double scale = Math.max(1e-3, p.grad().amaxNumber().doubleValue());
                double gErr = p.grad().sub(q.grad()).amaxNumber().doubleValue();
                assertTrue(gErr < 1e-9 * scale, p.name() + ": gradient differs by " + gErr);
            }
        }
    }
}
