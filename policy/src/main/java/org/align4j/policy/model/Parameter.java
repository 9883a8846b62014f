package org.align4j.policy.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One trainable tensor and its gradient, named as in the Hugging Face checkpoint
 * (for example {@code model.layers.0.self_attn.q_proj.weight}). The gradient has the value's shape and
 * is accumulated into by backward passes until {@link CausalLM#zeroGrad()}.
 */
public final class Parameter {
    private final String name;
    private final INDArray value;
    private final INDArray grad;

    public Parameter(String name, INDArray value, INDArray grad) {
        this.name = name;
        this.value = value;
        this.grad = grad;
    }

    public String name() {
        return name;
    }

    public INDArray value() {
        return value;
    }

    public INDArray grad() {
        return grad;
    }

    public long size() {
        return value.length();
    }

    @Override
    public String toString() {
        return name + java.util.Arrays.toString(value.shape());
    }
}
