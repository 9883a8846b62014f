package org.align4j.policy.model;

import java.util.List;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/** down(silu(gate(x)) * up(x)), the Llama feed-forward block (also each DeepSeekMoE expert). */
final class SwiGluMlp implements FeedForwardBlock {
    final Linear gate;
    final Linear up;
    final Linear down;
    private final Ops ops;
    private final int width;

    SwiGluMlp(Ops ops, Linear gate, Linear up, Linear down) {
        this.ops = ops;
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.width = Math.toIntExact(gate.weight.value().size(0));
    }

    /** Intermediate width. */
    int width() {
        return width;
    }

    @Override
    public Object scratchKey() {
        return List.of(SwiGluMlp.class, width);
    }

    @Override
    public Acts newActs(Shape s) {
        return new Acts(s, width);
    }

    @Override
    public Grads newGrads(Shape s) {
        return new Grads(s, width);
    }

    static final class Acts implements FeedForwardBlock.Acts {
        final INDArray gate;
        final INDArray up;
        final INDArray act;

        Acts(Shape s, int width) {
            gate = s.zeros(s.rows, width);
            up = s.zeros(s.rows, width);
            act = s.zeros(s.rows, width);
        }
    }

    static final class Grads implements FeedForwardBlock.Grads {
        final INDArray dAct;
        final INDArray dGate;
        final INDArray dUp;

        Grads(Shape s, int width) {
            dAct = s.zeros(s.rows, width);
            dGate = s.zeros(s.rows, width);
            dUp = s.zeros(s.rows, width);
        }
    }

    /** residual += mlp(x) (padding rows are computed too: skipping them would cost more than it saves). */
    @Override
    public void forward(Shape s, INDArray x, FeedForwardBlock.Acts acts, INDArray residual, boolean[] valid) {
        forward(x, (Acts) acts, residual);
    }

    /** residual += mlp(x). */
    void forward(INDArray x, Acts a, INDArray residual) {
        gate.forward(x, a.gate, false);
        up.forward(x, a.up, false);
        ops.swiGluForward(a.gate, a.up, a.act);
        down.forward(a.act, residual, true);
    }

    @Override
    public void backward(Shape s, INDArray x, FeedForwardBlock.Acts acts, FeedForwardBlock.Grads grads,
                         INDArray dOut, INDArray dx) {
        backward(x, (Acts) acts, (Grads) grads, dOut, dx);
    }

    void backward(INDArray x, Acts a, Grads g, INDArray dOut, INDArray dx) {
        down.backward(a.act, dOut, g.dAct, false);
        ops.swiGluBackward(g.dAct, a.gate, a.up, g.dGate, g.dUp);
        gate.backward(x, g.dGate, dx, false);
        up.backward(x, g.dUp, dx, true);
    }
}
