package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** LoRA adapters: float64 gradient checks of the adapted model, frozen base, switching off, merging, errors. */
class LoraTest {
    private static final double WHOLE_MODEL_TOL = 1e-4;

    static LoraConfig lora(int r, double alpha, double dropout, boolean rs, String... targets) {
        return new LoraConfig(r, alpha, dropout, rs, List.of(targets), false);
    }

    /** A random model with adapters whose B is non-zero (so that every adapter tensor carries gradient). */
    static CausalLM adapted(ModelConfig c, LoraConfig l, long seed) {
        CausalLM m = c.mla != null ? DeepSeekGradientTest.randomModel(c, seed)
                : CausalLMGradientTest.randomModel(c, seed);
        m.addAdapters(l, null, seed);
        Nd4j.getRandom().setSeed(seed + 2);
        for (Parameter p : m.parameters()) {
            p.value().assign(Nd4j.randn(DataType.DOUBLE, p.value().shape()).muli(0.3));
        }
        return m;
    }

    private static void checkAll(CausalLM m, int samples) {
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] c = CausalLMGradientTest.coefficients(b, 3);
        m.zeroGrad();
        m.forward(b).backward(c);
        for (Parameter p : m.parameters()) {
            GradCheck.check(p.name(), p.value(), p.grad(),
                    () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), c), samples, 11, WHOLE_MODEL_TOL);
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM,false,false", "LlamaForCausalLM,true,true", "Qwen2ForCausalLM,false,true"})
    void allLinearGradientMatchesFiniteDifferences(String arch, boolean tied, boolean rslora) {
        CausalLM m = adapted(CausalLMGradientTest.tiny(arch, tied), lora(2, 3, 0, rslora, "all-linear"), 7);
        assertEquals(2 * 7 * 2, m.parameters().size(), "A and B on 7 linear layers of 2 decoder layers");
        checkAll(m, 6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void deepSeekLatentAttentionAndExpertsGradient(String variant) {
        CausalLM m = adapted(DeepSeekGradientTest.tiny(variant), lora(2, 4, 0, false, "all-linear"), 5);
        List<String> adapted = m.adaptedModules();
        assertTrue(adapted.contains("model.layers.0.self_attn.kv_a_proj_with_mqa"), adapted.toString());
        assertTrue(adapted.contains("model.layers.1.mlp.experts.3.down_proj"), adapted.toString());
        assertTrue(adapted.stream().noneMatch(s -> s.endsWith("mlp.gate")), "the router is not adapted");
        assertTrue(adapted.contains(variant.equals("v3") ? "model.layers.0.self_attn.q_b_proj"
                : "model.layers.0.self_attn.q_proj"));
        checkAll(m, 3);
    }

    @Test
    void dropoutGradientWithThePassMaskPinned() {
        CausalLM m = adapted(CausalLMGradientTest.tiny(ModelConfig.LLAMA, false),
                lora(3, 6, 0.4, false, "q_proj", "down_proj"), 9);
        m.setTraining(true);
        m.pinDropoutPass(17);
        checkAll(m, 8);
    }

    @Test
    void dropoutIsAppliedInTrainingPassesOnlyAndDiffersBetweenPasses() {
        CausalLM m = adapted(CausalLMGradientTest.tiny(ModelConfig.LLAMA, false), lora(2, 4, 0.5, false, "v_proj"), 3);
        TokenBatch b = CausalLMGradientTest.batch();
        double[] eval1 = m.forward(b).tokenLogProbs()[0];
        double[] eval2 = m.forward(b).tokenLogProbs()[0];
        m.setTraining(true);
        double[] train1 = m.forward(b).tokenLogProbs()[0];
        double[] train2 = m.forward(b).tokenLogProbs()[0];
        assertEquals(eval1[3], eval2[3], 0.0);
        assertTrue(Math.abs(train1[3] - eval1[3]) > 1e-9 && Math.abs(train1[3] - train2[3]) > 1e-9);
    }

    @Test
    void baseIsFrozenAndOnlyAdaptersAreParameters() {
        CausalLM m = adapted(CausalLMGradientTest.tiny(ModelConfig.QWEN2, false), lora(2, 4, 0, false, "q_proj"), 1);
        TokenBatch b = CausalLMGradientTest.batch();
        m.zeroGrad();
        m.forward(b).backward(CausalLMGradientTest.coefficients(b, 1));
        for (Parameter p : m.parameters()) {
            assertTrue(p.name().contains(".lora_"), p.name());
            assertTrue(p.grad().norm2Number().doubleValue() > 0, p.name());
        }
        assertEquals(4, m.parameters().size());
        Parameter q = m.parameter("model.layers.0.self_attn.q_proj.weight");
        assertTrue(!q.trainable());
        assertNull(q.grad(), "no gradient buffer for a frozen matrix");
        assertTrue(!m.parameter("model.layers.0.self_attn.q_proj.bias").trainable());
    }

    @Test
    void freshAdaptersStartAtTheBaseAndSwitchingOffGivesTheBase() {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.LLAMA, false);
        CausalLM base = CausalLMGradientTest.randomModel(c, 4);
        TokenBatch b = CausalLMGradientTest.batch();
        double[] want = base.forward(b).tokenLogProbs()[2];
        CausalLM m = base.copy();
        m.addAdapters(lora(4, 8, 0, false, "all-linear"), null, 1);
        assertEquals(want[1], m.forward(b).tokenLogProbs()[2][1], 0.0, "B = 0 at the start");
        for (Parameter p : m.parameters()) {
            p.value().assign(Nd4j.randn(DataType.DOUBLE, p.value().shape()));
        }
        assertTrue(Math.abs(m.forward(b).tokenLogProbs()[2][1] - want[1]) > 1e-6);
        m.setAdaptersEnabled(false);
        assertEquals(want[1], m.forward(b).tokenLogProbs()[2][1], 0.0, "adapters off: the base model");
        m.setAdaptersEnabled(true);
        CausalLM copy = m.copy();
        assertEquals(m.forward(b).tokenLogProbs()[2][1], copy.forward(b).tokenLogProbs()[2][1], 0.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "v3"})
    void mergedWeightsGiveTheAdaptedModelAndDecodingMatches(String which) {
        ModelConfig c = which.equals("llama") ? CausalLMGradientTest.tiny(ModelConfig.LLAMA, false)
                : DeepSeekGradientTest.tiny("v3");
        CausalLM m = adapted(c, lora(2, 5, 0.1, true, "all-linear"), 8);
        TokenBatch b = CausalLMGradientTest.batch();
        Forward f = m.forward(b);
        INDArray logits = f.logits().dup();
        CausalLM merged = CausalLM.fromWeights(c, m.mergedWeights(), DataType.DOUBLE);
        INDArray mergedLogits = merged.forward(b).logits();
        assertTrue(logits.sub(mergedLogits).amaxNumber().doubleValue() < 1e-10);
        // the sampler's path: prefill then one decoding step with the adapters unmerged
        int[] row = b.row(0);
        KvCache cache = m.newKvCache(1, 16);
        INDArray pre = m.prefill(cache, TokenBatch.of(java.util.Arrays.copyOf(row, 3))).dup();
        double preErr = logits.getRow(2).sub(pre.getRow(0)).amaxNumber().doubleValue();
        assertTrue(preErr < 1e-10, "prefill differs by " + preErr);
        INDArray next = m.decode(cache, new int[] {row[3]}, null);
        INDArray want = logits.getRow(3);
        double err = want.sub(next.getRow(0)).amaxNumber().doubleValue();
        m.setAdaptersEnabled(false);
        KvCache c2 = m.newKvCache(1, 16);
        m.prefill(c2, TokenBatch.of(java.util.Arrays.copyOf(row, 3)));
        INDArray offNext = m.decode(c2, new int[] {row[3]}, null).dup();
        double offErr = m.forward(b).logits().getRow(3).sub(offNext.getRow(0)).amaxNumber().doubleValue();
        assertTrue(err < 1e-10, "decode differs by " + err + "; with adapters off by " + offErr);
    }

    @Test
    void badInputIsNamed() {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.LLAMA, false);
        CausalLM m = CausalLMGradientTest.randomModel(c, 1);
        BadInputException e = assertThrows(BadInputException.class,
                () -> m.addAdapters(lora(2, 4, 0, false, "q_proj", "kv_b_proj"), null, 1));
        assertTrue(e.getMessage().contains("'kv_b_proj'") && e.getMessage().contains("q_proj, k_proj"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> lora(0, 4, 0, false, "q_proj"));
        assertTrue(e.getMessage().contains("lora_r"), e.getMessage());
        Map<String, INDArray> wrong = Map.of(
                "model.layers.0.self_attn.q_proj.lora_A.weight", Nd4j.zeros(DataType.DOUBLE, 2, 9),
                "model.layers.0.self_attn.q_proj.lora_B.weight", Nd4j.zeros(DataType.DOUBLE, 16, 2));
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> m.addAdapters(new LoraConfig(2, 4, 0, false, List.of("model.layers.0.self_attn.q_proj"), false),
                        wrong, 0));
        assertTrue(s.getMessage().contains("q_proj.lora_A.weight") && s.getMessage().contains("[2, 8]"),
                s.getMessage());
    }
}
