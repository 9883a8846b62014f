package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/** y = x W^T (+ b), with W stored [out, in] as in Hugging Face checkpoints. */
final class Linear {
    final Parameter weight;
    final Parameter bias;
    private final Ops ops;

    Linear(Ops ops, Parameter weight, Parameter bias) {
        this.ops = ops;
        this.weight = weight;
        this.bias = bias;
    }

    /** y = x W^T + b, or y += x W^T when accumulate (used to add into a residual stream). */
    void forward(INDArray x, INDArray y, boolean accumulate) {
        ops.gemm(x, weight.value(), y, false, true, 1.0, accumulate ? 1.0 : 0.0);
        if (bias != null) {
            ops.addBias(y, bias.value());
        }
    }

    /** Accumulates dW (and db); writes dx (or adds into it when accumulateDx). dx may be null. */
    void backward(INDArray x, INDArray dy, INDArray dx, boolean accumulateDx) {
        ops.gemm(dy, x, weight.grad(), true, false, 1.0, 1.0);
        if (bias != null) {
            ops.biasBackward(dy, bias.grad());
        }
        if (dx != null) {
            ops.gemm(dy, weight.value(), dx, false, false, 1.0, accumulateDx ? 1.0 : 0.0);
        }
    }
}
