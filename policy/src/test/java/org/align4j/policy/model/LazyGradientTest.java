package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model allocates a weight's gradient buffer when a backward pass (or zeroGrad) first needs it: forward-only models
 * (a frozen reference, a copy for sampling) hold none, and LoRA's frozen base matrices never get one.
 */
class LazyGradientTest {

    private static long withBuffers(CausalLM m, List<String> names) {
        return names.stream().filter(n -> m.parameter(n).hasGradientBuffer()).count();
    }

    @Test
    void forwardPassesAllocateNoGradientsAndTheFirstBackwardAllocatesThemAll() {
        CausalLM m = CausalLMGradientTest.randomModel(CausalLMGradientTest.tiny(ModelConfig.LLAMA, false), 5);
        List<String> names = m.parameters().stream().map(Parameter::name).toList();
        TokenBatch b = CausalLMGradientTest.batch();
        double[] before = m.forward(b).tokenLogProbs()[0];
        CausalLM reference = m.copy();
        reference.forward(b).tokenLogProbs();
        assertEquals(0, withBuffers(m, names), "a forward pass allocated gradients");
        assertEquals(0, withBuffers(reference, names), "a copy allocated gradients");
        m.zeroGrad();
        m.forward(b).backward(CausalLMGradientTest.coefficients(b, 2));
        assertEquals(names.size(), withBuffers(m, names));
        assertEquals(0, withBuffers(reference, names), "the copy's gradients are its own");
        for (String n : names) {
            assertTrue(m.parameter(n).grad().amaxNumber().doubleValue() > 0, n + " got no gradient");
        }
        assertEquals(before[1], m.forward(b).tokenLogProbs()[0][1], 0.0, "values untouched by allocating gradients");
    }

    @Test
    void frozenBaseMatricesOfALoraModelNeverGetAGradient() {
        CausalLM m = LoraTest.adapted(CausalLMGradientTest.tiny(ModelConfig.QWEN2, true),
                LoraTest.lora(2, 4, 0, false, "all-linear"), 7);
        TokenBatch b = CausalLMGradientTest.batch();
        m.zeroGrad();
        m.forward(b).backward(CausalLMGradientTest.coefficients(b, 3));
        for (Parameter p : m.parameters()) {
            assertTrue(p.hasGradientBuffer(), p.name());
        }
        Parameter q = m.parameter("model.layers.0.self_attn.q_proj.weight");
        assertFalse(q.trainable());
        assertFalse(q.hasGradientBuffer(), "a frozen base matrix holds a gradient");
        assertEquals(null, q.grad());
    }
}
