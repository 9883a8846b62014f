package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.cuda.CudaOps;
import org.align4j.policy.ops.cuda.CudaTesting;
import org.align4j.policy.train.AdamW;
import org.align4j.policy.train.GradientClipper;
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
 * The model on the CUDA backend: Hugging Face conformance (logits and log-probs within 1e-4, greedy output
 * exact), float64 finite-difference gradient checks of the whole model, KV-cache decoding against the full
 * forward pass, and training steps that must agree with the CPU backend.
 */
@EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaModelTest {
    private static CudaOps gpu;

    @BeforeAll
    static void useGpu() {
        gpu = CudaTesting.ops();
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2", "model_deepseek_v3"})
    void logitsAndLogProbsMatchTransformers(String name) throws IOException {
        Path dir = HfConformanceTest.fixture(name);
        JsonNode exp = HfConformanceTest.expected(dir);
        CausalLM m = HfCheckpoint.load(dir, gpu);
        assertEquals("cuda", m.ops().name());
        int[][] input = HfConformanceTest.ids(exp.get("input_ids"));
        Forward f = m.forward(TokenBatch.of(input));
        INDArray logits = f.logits();
        double maxErr = 0;
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < input[b].length; t++) {
                JsonNode row = exp.get("logits").get(b).get(t);
                INDArray got = logits.getRow(f.rowIndex(b, t));
                for (int v = 0; v < row.size(); v++) {
                    maxErr = Math.max(maxErr, Math.abs(row.get(v).asDouble() - got.getDouble(v)));
                }
            }
        }
        System.out.println(name + " on cuda: max |logit - transformers| = " + maxErr);
        assertTrue(maxErr < 1e-4, "max |logit - transformers| = " + maxErr);
        double[][] lp = f.tokenLogProbs();
        double lpErr = 0;
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < lp[b].length; t++) {
                lpErr = Math.max(lpErr, Math.abs(exp.get("token_logprobs").get(b).get(t).asDouble() - lp[b][t]));
            }
        }
        assertTrue(lpErr < 1e-4, "max |log-prob - transformers| = " + lpErr);
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2", "model_deepseek_v3"})
    void greedyGenerationMatchesTransformers(String name) throws IOException {
        Path dir = HfConformanceTest.fixture(name);
        JsonNode exp = HfConformanceTest.expected(dir);
        CausalLM m = HfCheckpoint.load(dir, gpu);
        int[] prompt = HfConformanceTest.ids(exp.get("greedy_prompt"))[0];
        int[] want = HfConformanceTest.ids(exp.get("greedy_output"))[0];
        assertArrayEquals(want, Greedy.generate(m, prompt, want.length - prompt.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_llama", "model_qwen2"})
    void saveAfterGpuUseWritesTheSameWeights(String name, @TempDir Path tmp) {
        CausalLM m = HfCheckpoint.load(HfConformanceTest.fixture(name), gpu);
        m.forward(TokenBatch.of(new int[] {1, 2, 3, 4}));
        HfCheckpoint.save(m, tmp.resolve("copy"), null);
        CausalLM cpuBack = HfCheckpoint.load(tmp.resolve("copy"), Ops.cpu());
        CausalLM cpuOrig = HfCheckpoint.load(HfConformanceTest.fixture(name), Ops.cpu());
        for (Parameter p : cpuOrig.parameters()) {
            assertEquals(p.value(), cpuBack.parameter(p.name()).value(), p.name());
        }
    }

    private static CausalLM gpuModel(String arch, boolean tied, long seed) {
        CausalLM m = CausalLMGradientTest.randomModel(CausalLMGradientTest.tiny(arch, tied), seed, gpu);
        assertEquals("cuda", m.ops().name());
        return m;
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM,false", "LlamaForCausalLM,true", "Qwen2ForCausalLM,false"})
    void logProbGradientMatchesFiniteDifferences(String arch, boolean tied) {
        CausalLM m = gpuModel(arch, tied, 7);
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] c = CausalLMGradientTest.coefficients(b, 3);
        m.zeroGrad();
        m.forward(b).backward(c);
        for (Parameter p : m.parameters()) {
            GradCheck.check(gpu, p.name(), p.value(), p.grad(),
                    () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), c), 6, 11, 1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM,false", "Qwen2ForCausalLM,true"})
    void hiddenStateGradientMatchesFiniteDifferences(String arch, boolean tied) {
        CausalLM m = gpuModel(arch, tied, 5);
        TokenBatch b = CausalLMGradientTest.batch();
        Forward f = m.forwardHidden(b);
        INDArray coef = Nd4j.randn(DataType.DOUBLE, f.hiddenStates().shape());
        m.zeroGrad();
        f.backwardFromHidden(coef);
        for (Parameter p : m.parameters()) {
            if (p.name().equals("lm_head.weight")) {
                gpu.toHost(p.grad());
                assertEquals(0.0, p.grad().norm2Number().doubleValue(), "head untouched by hidden-state loss");
                continue;
            }
            GradCheck.check(gpu, p.name(), p.value(), p.grad(),
                    () -> m.forwardHidden(b).hiddenStates().mul(coef).sumNumber().doubleValue(), 6, 13, 1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM", "Qwen2ForCausalLM"})
    void kvCacheDecodingEqualsFullForward(String arch) {
        CausalLM m = gpuModel(arch, false, 21);
        TokenBatch full = CausalLMGradientTest.batch();
        Forward f = m.forward(full);
        INDArray logits = f.logits().dup();
        int pw = f.paddedWidth();
        int[] promptLen = {3, 1, 2};
        int[][] prompts = new int[3][];
        for (int b = 0; b < 3; b++) {
            prompts[b] = java.util.Arrays.copyOf(full.row(b), promptLen[b]);
        }
        // Prefill into a small cache, then move the rows (reversed) into the decoding cache.
        KvCache first = m.newKvCache(3, 8);
        INDArray firstLogits = m.prefill(first, TokenBatch.of(prompts)).dup();
        KvCache cache = m.newKvCache(3, 16);
        for (int b = 0; b < 3; b++) {
            cache.copyRow(first, b, 2 - b);
        }
        int[] row = {2, 1, 0};
        INDArray next = Nd4j.create(DataType.DOUBLE, 3, firstLogits.size(1));
        for (int b = 0; b < 3; b++) {
            next.putRow(2 - b, firstLogits.getRow(b));
        }
        int[] pos = promptLen.clone();
        boolean[] fresh = {true, true, true};
        double maxErr = 0;
        for (int step = 0; step < 8; step++) {
            int[] tokens = new int[3];
            boolean[] active = new boolean[3];
            for (int b = 0; b < 3; b++) {
                int r = row[b];
                if (fresh[r]) {
                    INDArray want = logits.getRow((long) b * pw + pos[b] - 1);
                    maxErr = Math.max(maxErr, want.sub(next.getRow(r)).amaxNumber().doubleValue());
                }
                active[r] = pos[b] < full.length(b);
                tokens[r] = active[r] ? full.row(b)[pos[b]] : 0;
            }
            next = m.decode(cache, tokens, active);
            fresh = active;
            for (int b = 0; b < 3; b++) {
                if (active[row[b]]) {
                    pos[b]++;
                }
            }
        }
        assertTrue(maxErr < 1e-10, "max |logit difference| " + maxErr);
        for (int b = 0; b < 3; b++) {
            assertEquals(full.length(b), cache.length(row[b]));
        }
    }

    /** Multi-head latent attention and DeepSeekMoE (V2 and V3 routing) through the GPU kernels, in float64. */
    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void deepSeekLogProbGradientMatchesFiniteDifferences(String variant) {
        CausalLM m = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny(variant), 7, gpu);
        assertEquals("cuda", m.ops().name());
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] c = CausalLMGradientTest.coefficients(b, 3);
        m.zeroGrad();
        m.forward(b).backward(c);
        // MoE's combine may add expert outputs in a varying order, so the float64 loss could differ between
        // evaluations in its last bits; the finite differences would inherit that spread / (2 h). Measure the
        // spread, bound it, and accept differences within a few times its effect (GradCheck also accepts a few ulps
        // of the loss over 2 h, the rounding no finite difference resolves: V3's shared expert on the H100, 2e-9).
        double first = CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), c);
        double spread = 0;
        for (int i = 0; i < 6; i++) {
            spread = Math.max(spread, Math.abs(CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), c) - first));
        }
        assertTrue(spread <= 1e-13 * Math.max(1, Math.abs(first)), "float64 loss spread " + spread);
        double floor = Math.max(1e-9, 4 * spread / (2 * GradCheck.H));
        System.out.println(variant + ": float64 loss " + first + ", spread over 6 evaluations " + spread);
        for (Parameter p : m.parameters()) {
            GradCheck.check(gpu, p.name(), p.value(), p.grad(),
                    () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), c), 3, 11,
                    DeepSeekGradientTest.WHOLE_MODEL_TOL, floor);
        }
    }

    /** The absorbed decode over the compressed latent cache (latentDecodeAttention) against the full forward. */
    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2", "v3-halves"})
    void deepSeekCompressedCacheDecodingEqualsFullForward(String variant) {
        CausalLM m = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny(variant), 21, gpu);
        assertEquals("cuda", m.ops().name());
        double err = DeepSeekGradientTest.decodingError(m, new KvCache[2]);
        assertTrue(err < 1e-10, "max |logit difference| " + err);
    }

    /** Three optimizer steps (clipping, AdamW) in float64 on both backends from the same weights. */
    @Test
    void trainingStepsAgreeWithTheCpuBackend() {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.QWEN2, false);
        CausalLM onGpu = gpuModel(ModelConfig.QWEN2, false, 31);
        CausalLM onCpu = CausalLM.fromWeights(c, onGpu.weights(), DataType.DOUBLE, Ops.cpu());
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(b, 5);
        double[] norms = new double[2];
        int i = 0;
        for (CausalLM m : List.of(onCpu, onGpu)) {
            AdamW opt = new AdamW(m.parameters(), AdamW.Options.defaults(), m.ops());
            GradientClipper clip = new GradientClipper(0.5, m.ops());
            for (int step = 0; step < 3; step++) {
                m.zeroGrad();
                m.forward(b).backward(coef);
                norms[i] = clip.clip(m.parameters());
                opt.step(1e-2);
            }
            i++;
        }
        assertEquals(norms[0], norms[1], 1e-9 * norms[0]);
        var cw = onCpu.weights();
        onGpu.weights().forEach((name, w) -> {
            double err = w.sub(cw.get(name)).amaxNumber().doubleValue();
            assertTrue(err < 1e-10, name + " differs by " + err);
        });
    }

    /** RoPE scaling on the GPU (the rope kernel's cos/sin scale, DeepSeek's YaRN softmax correction). */
    @ParameterizedTest
    @ValueSource(strings = {"llama3", "linear", "dynamic", "deepseek_v3_yarn", "deepseek_v2_yarn"})
    void ropeScalingMatchesTransformers(String name) throws IOException {
        Path dir = HfConformanceTest.fixture("rope/" + name);
        JsonNode exp = HfConformanceTest.expected(dir);
        CausalLM m = HfCheckpoint.load(dir, gpu);
        assertEquals("cuda", m.ops().name());
        int[][] input = HfConformanceTest.ids(exp.get("input_ids"));
        double[][] lp = m.forward(TokenBatch.of(input)).tokenLogProbs();
        double lpErr = 0;
        for (int b = 0; b < input.length; b++) {
            for (int t = 0; t < lp[b].length; t++) {
                lpErr = Math.max(lpErr, Math.abs(exp.get("token_logprobs").get(b).get(t).asDouble() - lp[b][t]));
            }
        }
        System.out.println(name + " on cuda: max |log-prob - transformers| = " + lpErr);
        assertTrue(lpErr < 1e-4, "max |log-prob - transformers| = " + lpErr);
    }

    /**
     * The fused attention kernels inside the model, with checkpointing and a chunked LM head, in float64 against
     * the CPU backend's eager path: log-probs and every gradient.
     */
    @Test
    void fusedAttentionCheckpointingAndChunkedHeadAgreeWithTheCpuEagerPath() {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.QWEN2, false);
        CausalLM onGpu = gpuModel(ModelConfig.QWEN2, false, 37);
        onGpu.setAttnImplementation(CausalLM.FLASH_ATTENTION_2);
        onGpu.setGradientCheckpointing(true);
        onGpu.setLmHeadChunkSize(5);
        CausalLM onCpu = CausalLM.fromWeights(c, onGpu.weights(), DataType.DOUBLE, Ops.cpu());
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(b, 6);
        double[][][] lp = new double[2][][];
        int i = 0;
        for (CausalLM m : List.of(onCpu, onGpu)) {
            lp[i++] = CausalLMGradientTest.forwardBackward(m, b, coef);
        }
        for (int r = 0; r < lp[0].length; r++) {
            assertArrayEquals(lp[0][r], lp[1][r], 1e-10);
        }
        for (Parameter p : onCpu.parameters()) {
            INDArray g = onGpu.parameter(p.name()).grad();
            gpu.toHost(g);
            double err = g.sub(p.grad()).amaxNumber().doubleValue();
            assertTrue(err < 1e-10, p.name() + " differs by " + err);
        }
    }
}
