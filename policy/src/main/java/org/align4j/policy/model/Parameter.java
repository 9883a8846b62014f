package org.align4j.policy.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One trainable tensor and its gradient, named as in the Hugging Face checkpoint
 * (for example {@code model.layers.0.self_attn.q_proj.weight}). The gradient has the value's shape and
 * is accumulated into by backward passes until {@link CausalLM#zeroGrad()}. A model's parameters allocate their
 * gradient on first use ({@link #lazy}): a model that only runs forward passes (a frozen reference, a sampler,
 * {@code score}, {@code eval}) holds no gradient buffers, half of a float32 model's host memory.
 */
public final class Parameter {
    private final String name;
    private final INDArray value;
    /** Null until first asked for when lazy, and once a matrix is frozen (see {@link #freeze()}). */
    private volatile INDArray grad;
    /** Whether {@link #grad()} allocates the gradient when there is none yet. */
    private volatile boolean lazyGrad;
    private boolean trainable = true;

    public Parameter(String name, INDArray value, INDArray grad) {
        this.name = name;
        this.value = value;
        this.grad = grad;
    }

    /** A parameter whose gradient (zeros of the value's type and shape) is allocated when first asked for. */
    public static Parameter lazy(String name, INDArray value) {
        Parameter p = new Parameter(name, value, null);
        p.lazyGrad = true;
        return p;
    }

    public String name() {
        return name;
    }

    public INDArray value() {
        return value;
    }

    public INDArray grad() {
        INDArray g = grad;
        if (g == null && lazyGrad) {
            synchronized (this) {
                if (grad == null && lazyGrad) {
                    grad = Nd4j.zeros(value.dataType(), value.shape());
                }
                g = grad;
            }
        }
        return g;
    }

    /** Whether the gradient buffer exists (false for a lazy one never asked for, and for a frozen matrix). */
    public boolean hasGradientBuffer() {
        return grad != null;
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
    synchronized void freeze() {
        trainable = false;
        if (value.rank() > 1) {
            grad = null;
            lazyGrad = false;
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
