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
    /** Null once a matrix is frozen (see {@link #freeze()}). */
    private INDArray grad;
    private boolean trainable = true;

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

    /** False for the base weights of a model with LoRA adapters: no gradient is computed, no optimizer state kept. */
    public boolean trainable() {
        return trainable;
    }

    /**
     * Stops training this tensor. A matrix's gradient is dropped (backward passes skip it); a vector (a norm gain)
     * keeps its small gradient buffer because the fused RMSNorm backward writes it beside dx, but it is no longer
     * a trainable parameter, so nothing reads it.
     */
    void freeze() {
        trainable = false;
        if (value.rank() > 1) {
            grad = null;
        }
    }

    public long size() {
        return value.length();
    }

    @Override
    public String toString() {
        return name + java.util.Arrays.toString(value.shape());
    }
}
