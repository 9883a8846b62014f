package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * y = x W^T (+ b), with W stored [out, in] as in Hugging Face checkpoints, plus a LoRA update when an adapter is
 * attached ({@link LoraLayer}). Frozen base weights get no gradient.
 */
final class Linear {
    final Parameter weight;
    final Parameter bias;
    private final Ops ops;
    /** The adapter on this layer, or null. */
    LoraLayer lora;

    Linear(Ops ops, Parameter weight, Parameter bias) {
        this.ops = ops;
        this.weight = weight;
        this.bias = bias;
    }

    int in() {
        return Math.toIntExact(weight.value().size(1));
    }

    int out() {
        return Math.toIntExact(weight.value().size(0));
    }

    /** y = x W^T + b, or y += x W^T when accumulate (used to add into a residual stream). */
    void forward(INDArray x, INDArray y, boolean accumulate) {
        ops.gemm(x, weight.value(), y, false, true, 1.0, accumulate ? 1.0 : 0.0);
        if (bias != null) {
            ops.addBias(y, bias.value());
        }
        if (lora != null && lora.active()) {
            lora.forward(x, y);
        }
    }

    /** Accumulates dW (and db) unless frozen; writes dx (or adds into it when accumulateDx). dx may be null. */
    void backward(INDArray x, INDArray dy, INDArray dx, boolean accumulateDx) {
        if (weight.trainable()) {
            ops.gemm(dy, x, weight.grad(), true, false, 1.0, 1.0);
        }
        if (bias != null && bias.trainable()) {
            ops.biasBackward(dy, bias.grad());
        }
        if (dx != null) {
            ops.gemm(dy, weight.value(), dx, false, false, 1.0, accumulateDx ? 1.0 : 0.0);
        }
        if (lora != null && lora.active()) {
            lora.backward(x, dy, dx);
        }
    }
}
