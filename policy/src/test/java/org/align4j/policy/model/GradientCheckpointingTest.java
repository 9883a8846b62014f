package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Gradient checkpointing recomputes layers in the backward pass: same gradients, activations kept per layer input. */
class GradientCheckpointingTest {

    private static ModelConfig config(String kind) {
        return kind.equals("llama") ? CausalLMGradientTest.tiny(ModelConfig.LLAMA, false)
                : DeepSeekGradientTest.tiny("v3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "deepseek"})
    void gradientsAreIdenticalWithAndWithoutCheckpointing(String kind) {
        ModelConfig c = config(kind);
        CausalLM plain = kind.equals("llama") ? CausalLMGradientTest.randomModel(c, 7)
                : DeepSeekGradientTest.randomModel(c, 7);
        CausalLM ckpt = plain.copy();
        ckpt.setGradientCheckpointing(true);
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(b, 3);
        for (CausalLM m : new CausalLM[] {plain, ckpt}) {
            m.zeroGrad();
            m.resetExpertLoad();
            Forward f = m.forward(b);
            f.backward(coef);
        }
        assertArrayEquals(plain.forward(b).tokenLogProbs()[0], ckpt.forward(b).tokenLogProbs()[0], 0);
        for (Parameter p : plain.parameters()) {
            assertArrayEquals(p.grad().ravel().toDoubleVector(), ckpt.parameter(p.name()).grad().ravel().toDoubleVector(), 0,
                    p.name());
        }
        // each token counted once per MoE layer, as without recomputation (two forward passes each by now)
        long[][] a = plain.expertLoad();
        long[][] d = ckpt.expertLoad();
        for (int l = 0; l < a.length; l++) {
            assertArrayEquals(a[l], d[l]);
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesUnderCheckpointing() {
        CausalLM m = DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny("v2"), 13);
        m.setGradientCheckpointing(true);
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(b, 4);
        m.zeroGrad();
        m.forward(b).backward(coef);
        for (String name : new String[] {"model.layers.0.self_attn.kv_b_proj.weight",
                "model.layers.1.post_attention_layernorm.weight", "model.embed_tokens.weight"}) {
            Parameter p = m.parameter(name);
            GradCheck.check(name, p.value(), p.grad(),
                    () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), coef), 6, 23, 1e-5);
        }
    }

    private static ModelConfig llamaLayers(int layers) {
        return new ModelConfig(ModelConfig.LLAMA, 13, 8, 12, layers, 4, 2, 4, 64, 1e-6, 10000.0, false, false, 1,
                new int[] {2});
    }

    private static long bytesAfterStep(int layers, boolean checkpointing) {
        CausalLM m = CausalLMGradientTest.randomModel(llamaLayers(layers), 3);
        m.setGradientCheckpointing(checkpointing);
        m.setLmHeadChunkSize(0);
        TokenBatch b = CausalLMGradientTest.batch();
        m.forward(b).backward(CausalLMGradientTest.coefficients(b, 1));
        return m.workspaceBytes();
    }

    @Test
    void keptActivationsGrowByOneLayerInputPerLayer() {
        // the batch pads to 3 rows x 8 positions = 24 grid rows of hidden size 8, float64
        long residual = 24L * 8 * 8;
        long perTwoLayersCkpt = bytesAfterStep(4, true) - bytesAfterStep(2, true);
        assertEquals(2 * residual, perTwoLayersCkpt, "two more layers keep only their two inputs");
        long perTwoLayersPlain = bytesAfterStep(4, false) - bytesAfterStep(2, false);
        assertTrue(perTwoLayersPlain > 10 * perTwoLayersCkpt,
                "without checkpointing each layer keeps all its activations: " + perTwoLayersPlain + " bytes");
    }
}
