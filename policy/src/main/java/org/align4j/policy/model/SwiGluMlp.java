package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/** down(silu(gate(x)) * up(x)), the Llama feed-forward block. */
final class SwiGluMlp {
    final Linear gate;
    final Linear up;
    final Linear down;
    private final Ops ops;

    SwiGluMlp(Ops ops, Linear gate, Linear up, Linear down) {
        this.ops = ops;
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    static final class Acts {
        final INDArray gate;
        final INDArray up;
        final INDArray act;

        Acts(Shape s, ModelConfig c) {
            gate = s.zeros(s.rows, c.intermediateSize);
            up = s.zeros(s.rows, c.intermediateSize);
            act = s.zeros(s.rows, c.intermediateSize);
        }
    }

    static final class Grads {
        final INDArray dAct;
        final INDArray dGate;
        final INDArray dUp;

        Grads(Shape s, ModelConfig c) {
            dAct = s.zeros(s.rows, c.intermediateSize);
            dGate = s.zeros(s.rows, c.intermediateSize);
            dUp = s.zeros(s.rows, c.intermediateSize);
        }
    }

    /** residual += mlp(x). */
    void forward(INDArray x, Acts a, INDArray residual) {
        gate.forward(x, a.gate, false);
        up.forward(x, a.up, false);
        ops.swiGluForward(a.gate, a.up, a.act);
        down.forward(a.act, residual, true);
    }

    void backward(INDArray x, Acts a, Grads g, INDArray dOut, INDArray dx) {
        down.backward(a.act, dOut, g.dAct, false);
        ops.swiGluBackward(g.dAct, a.gate, a.up, g.dGate, g.dUp);
        gate.backward(x, g.dGate, dx, false);
        up.backward(x, g.dUp, dx, true);
    }
}
