package org.align4j.policy.model;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import java.util.List;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DeepSeekMoE (DeepSeek-V2 section 2.2): out = sum over the token's top-k routed experts of weight_e * expert_e(x),
 * plus the shared experts (one SwiGLU of n_shared_experts x moe_intermediate_size). Tokens are packed by expert
 * (see {@link MoeRouter.Routing}) so that each expert runs one matrix product over exactly its rows; nothing is
 * computed for experts a token did not choose, nor for padding.
 *
 * <p>The backward pass goes through the chosen experts and through the routing weights into the router; which
 * experts were chosen is a constant. Per-expert token counts accumulate for metrics ({@link #load()}).
 */
final class MoeFeedForward implements FeedForwardBlock {
    final Linear router;
    /** e_score_correction_bias (V3): a buffer, steering selection only; null for V2 routing. */
    final Parameter correctionBias;
    final SwiGluMlp[] experts;
    /** The always-on experts; null when n_shared_experts is 0. */
    final SwiGluMlp shared;
    private final MoeRouter gating;
    private final Ops ops;
    private final int hidden;
    private final int k;
    private final int width;
    private final long[] load;
    private boolean countingLoad = true;
    private double auxWeight;
    private double lastAuxLoss;

    MoeFeedForward(Ops ops, MoeConfig c, Linear router, Parameter correctionBias, SwiGluMlp[] experts,
                   SwiGluMlp shared) {
        this.ops = ops;
        this.router = router;
        this.correctionBias = correctionBias;
        this.experts = experts;
        this.shared = shared;
        this.gating = new MoeRouter(c);
        this.hidden = Math.toIntExact(router.weight.value().size(1));
        this.k = c.numExpertsPerTok();
        this.width = c.moeIntermediateSize();
        this.load = new long[experts.length];
    }

    /** Tokens routed to each expert since the last {@link #resetLoad()} (every pass, decoding included). */
    long[] load() {
        return load.clone();
    }

    void resetLoad() {
        java.util.Arrays.fill(load, 0);
    }

    /**
     * Whether forward passes add to {@link #load()}: off while gradient checkpointing recomputes a layer, so that
     * each token is counted once.
     */
    void setCountingLoad(boolean on) {
        countingLoad = on;
    }

    /** Weight of the sequence-wise balance loss added in training (0: off). */
    void setAuxWeight(double w) {
        auxWeight = w;
    }

    /** The balance loss of the last teacher-forced pass (0 when its weight is 0). */
    double lastAuxLoss() {
        return lastAuxLoss;
    }

    @Override
    public Object scratchKey() {
        return List.of(MoeFeedForward.class, experts.length, k, width, shared == null ? 0 : shared.width());
    }

    @Override
    public Acts newActs(Shape s) {
        return new Acts(s, this);
    }

    @Override
    public Grads newGrads(Shape s) {
        return new Grads(s, this);
    }

    /** Packed buffers hold rows * k expert rows; the first routing.slots() of them are used. */
    static final class Acts implements FeedForwardBlock.Acts {
        final INDArray logits;
        final INDArray xe;
        final INDArray gate;
        final INDArray up;
        final INDArray act;
        final INDArray ye;
        final SwiGluMlp.Acts shared;
        MoeRouter.Routing routing;

        Acts(Shape s, MoeFeedForward m) {
            long slots = (long) s.rows * m.k;
            logits = s.zeros(s.rows, m.experts.length);
            xe = s.zeros(slots, m.hidden);
            gate = s.zeros(slots, m.width);
            up = s.zeros(slots, m.width);
            act = s.zeros(slots, m.width);
            ye = s.zeros(slots, m.hidden);
            shared = m.shared == null ? null : m.shared.newActs(s);
        }
    }

    static final class Grads implements FeedForwardBlock.Grads {
        final INDArray dye;
        final INDArray dAct;
        final INDArray dGate;
        final INDArray dUp;
        final INDArray dxe;
        final INDArray dLogits;
        final SwiGluMlp.Grads shared;

        Grads(Shape s, MoeFeedForward m) {
            long slots = (long) s.rows * m.k;
            dye = s.zeros(slots, m.hidden);
            dAct = s.zeros(slots, m.width);
            dGate = s.zeros(slots, m.width);
            dUp = s.zeros(slots, m.width);
            dxe = s.zeros(slots, m.hidden);
            dLogits = s.zeros(s.rows, m.experts.length);
            shared = m.shared == null ? null : m.shared.newGrads(s);
        }
    }

    /** Rows [from, to) of a packed buffer (a view: each expert's products read and write its own rows in place). */
    private static INDArray rows(INDArray a, int from, int to) {
        return a.get(interval(from, to), all());
    }

    @Override
    public void forward(Shape s, INDArray x, FeedForwardBlock.Acts acts, INDArray residual, boolean[] valid) {
        Acts a = (Acts) acts;
        router.forward(x, a.logits, false);
        ops.toHost(a.logits);
        double[] bias = null;
        if (correctionBias != null) {
            ops.toHost(correctionBias.value());
            bias = correctionBias.value().toDoubleVector();
        }
        MoeRouter.Routing r = gating.route(a.logits.ravel().toDoubleVector(), s.rows, bias, valid, s.seq, auxWeight);
        a.routing = r;
        lastAuxLoss = r.auxLoss;
        int slots = r.slots();
        for (int e = 0; countingLoad && e < experts.length; e++) {
            load[e] += r.start[e + 1] - r.start[e];
        }
        if (slots > 0) {
            ops.gatherRows(x, r.rowOf, null, a.xe);
            for (int e = 0; e < experts.length; e++) {
                int from = r.start[e];
                int to = r.start[e + 1];
                if (from < to) {
                    experts[e].gate.forward(rows(a.xe, from, to), rows(a.gate, from, to), false);
                    experts[e].up.forward(rows(a.xe, from, to), rows(a.up, from, to), false);
                }
            }
            ops.swiGluForward(rows(a.gate, 0, slots), rows(a.up, 0, slots), rows(a.act, 0, slots));
            for (int e = 0; e < experts.length; e++) {
                int from = r.start[e];
                int to = r.start[e + 1];
                if (from < to) {
                    experts[e].down.forward(rows(a.act, from, to), rows(a.ye, from, to), false);
                }
            }
            ops.scatterAddRows(rows(a.ye, 0, slots), r.rowOf, r.weightOf, residual);
        }
        if (shared != null) {
            shared.forward(x, a.shared, residual);
        }
    }

    @Override
    public void backward(Shape s, INDArray x, FeedForwardBlock.Acts acts, FeedForwardBlock.Grads grads,
                         INDArray dOut, INDArray dx) {
        Acts a = (Acts) acts;
        Grads g = (Grads) grads;
        MoeRouter.Routing r = a.routing;
        int slots = r.slots();
        if (shared != null) {
            shared.backward(x, a.shared, g.shared, dOut, dx);
        } else {
            ops.zero(dx);
        }
        double[] dWeight = new double[slots];
        if (slots > 0) {
            dWeight = ops.gatheredRowDots(dOut, r.rowOf, rows(a.ye, 0, slots));
            ops.gatherRows(dOut, r.rowOf, r.weightOf, g.dye);
            for (int e = 0; e < experts.length; e++) {
                int from = r.start[e];
                int to = r.start[e + 1];
                if (from < to) {
                    experts[e].down.backward(rows(a.act, from, to), rows(g.dye, from, to), rows(g.dAct, from, to),
                            false);
                }
            }
            ops.swiGluBackward(rows(g.dAct, 0, slots), rows(a.gate, 0, slots), rows(a.up, 0, slots),
                    rows(g.dGate, 0, slots), rows(g.dUp, 0, slots));
            for (int e = 0; e < experts.length; e++) {
                int from = r.start[e];
                int to = r.start[e + 1];
                if (from < to) {
                    experts[e].gate.backward(rows(a.xe, from, to), rows(g.dGate, from, to), rows(g.dxe, from, to),
                            false);
                    experts[e].up.backward(rows(a.xe, from, to), rows(g.dUp, from, to), rows(g.dxe, from, to), true);
                }
            }
            ops.scatterAddRows(rows(g.dxe, 0, slots), r.rowOf, null, dx);
        }
        double[] dLogits = gating.backward(r, dWeight);
        // a new array: the backend uploads it at its first use
        INDArray host = Nd4j.createFromArray(dLogits).reshape(g.dLogits.shape()).castTo(g.dLogits.dataType());
        ops.copy(host, g.dLogits);
        router.backward(x, g.dLogits, dx, true);
    }
}
