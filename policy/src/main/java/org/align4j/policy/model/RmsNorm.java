package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Root-mean-square normalisation with a learned gain (no mean subtraction, no bias). */
final class RmsNorm {
    final Parameter weight;
    private final double eps;
    private final Ops ops;

    RmsNorm(Ops ops, Parameter weight, double eps) {
        this.ops = ops;
        this.weight = weight;
        this.eps = eps;
    }

    void forward(INDArray x, INDArray out, INDArray rstd) {
        ops.rmsNormForward(x, weight.value(), out, rstd, eps);
    }

    /** Accumulates into dx and the weight's gradient. */
    void backward(INDArray dOut, INDArray x, INDArray rstd, INDArray dx) {
        ops.rmsNormBackward(dOut, x, weight.value(), rstd, dx, weight.grad());
    }
}
