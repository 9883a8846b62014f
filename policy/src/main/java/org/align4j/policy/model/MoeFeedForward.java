package org.align4j.policy.model;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import java.util.Arrays;
import java.util.List;
import org.align4j.policy.ops.MoeGate;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DeepSeekMoE (DeepSeek-V2 section 2.2): out = sum over the token's top-k routed experts of weight_e * expert_e(x),
 * plus the shared experts (one SwiGLU of n_shared_experts x moe_intermediate_size).
 *
 * <p>Everything stays with the backend (on the GPU: on the device): the {@code moeRoute} op scores and chooses,
 * {@code moeSortByExpert} packs the (token, choice) pairs by expert (a permutation and per-expert offsets),
 * {@code moeGather} copies each pair's token row into its slot, each expert runs its three matrix products over its
 * contiguous slots, and {@code moeCombine} adds the weighted outputs back to their tokens. The only transfer is the
 * per-expert offsets (experts + 1 ints) that drive the loop of matrix products: one small copy per layer and pass.
 * Nothing is computed for experts a token did not choose, nor for padding.
 *
 * <p>The backward pass goes through the chosen experts and through the routing weights into the router; which
 * experts were chosen is a constant. Per-expert token counts accumulate for metrics ({@link #load()}). With
 * {@link #replay} set, the pass reuses given expert choices (router replay) instead of choosing.
 */
final class MoeFeedForward implements FeedForwardBlock {
    final Linear router;
    /** e_score_correction_bias (V3): a buffer, steering selection only; null for V2 routing. */
    final Parameter correctionBias;
    final SwiGluMlp[] experts;
    /** The always-on experts; null when n_shared_experts is 0. */
    final SwiGluMlp shared;
    private final MoeRouter gating;
    private final MoeGate gate;
    private final Ops ops;
    private final int hidden;
    private final int k;
    private final int width;
    private final long[] load;
    /** Tokens routed to each expert in passes that were backpropagated, since the last {@link #takeTrainLoad()}. */
    private final long[] trainLoad;
    private boolean countingLoad = true;
    private double auxWeight;
    private double lastAuxLoss;
    /** Expert ids to reuse in the next passes [rows * k] (-1 on padding), or null to choose. */
    private int[] replay;
    /** The router's expert ids of the last pass [rows * k] when recording, else null. */
    private int[] lastChoices;
    private boolean recording;

    MoeFeedForward(Ops ops, MoeConfig c, Linear router, Parameter correctionBias, SwiGluMlp[] experts,
                   SwiGluMlp shared) {
        this.ops = ops;
        this.router = router;
        this.correctionBias = correctionBias;
        this.experts = experts;
        this.shared = shared;
        this.gating = new MoeRouter(c);
        this.gate = c.gate();
        this.hidden = Math.toIntExact(router.weight.value().size(1));
        this.k = c.numExpertsPerTok();
        this.width = c.moeIntermediateSize();
        this.load = new long[experts.length];
        this.trainLoad = new long[experts.length];
    }

    /**
     * Tokens routed to each expert in the backward passes since the last call (each trained token once, also with
     * gradient checkpointing), and resets them: the load that DeepSeek-V3's bias update balances.
     */
    long[] takeTrainLoad() {
        long[] out = trainLoad.clone();
        Arrays.fill(trainLoad, 0);
        return out;
    }

    /** Tokens routed to each expert since the last {@link #resetLoad()} (every pass, decoding included). */
    long[] load() {
        return load.clone();
    }

    void resetLoad() {
        Arrays.fill(load, 0);
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

    /**
     * Router replay: the following passes use these expert ids ([rows * k], row-major over the pass's rows) instead
     * of choosing; rows given -1 choose; null goes back to choosing. While recording, {@link #lastChoices()} are
     * still the router's own choices (one more routing op per pass), so that replay's effect can be measured.
     */
    void replay(int[] expertIds) {
        replay = expertIds;
    }

    /** Whether passes keep their expert ids on the host for {@link #lastChoices()} (one extra copy per pass). */
    void setRecording(boolean on) {
        recording = on;
        lastChoices = null;
    }

    /** The router's own expert ids in the last pass [rows * k] (-1 on padding), when recording; else null. */
    int[] lastChoices() {
        return lastChoices;
    }

    /**
     * A host copy of expert ids, taken now: decoding steps share one MoE layer's buffers among layers, so a later
     * read would see the last layer's. On a GPU this waits for the layer (recording only).
     */
    private int[] hostIds(INDArray ids) {
        ops.toHost(ids);
        return ids.ravel().toIntVector();
    }

    /** The DeepSeek-V3 selection bias (e_score_correction_bias), or null for V2 routing. */
    Parameter correctionBias() {
        return correctionBias;
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

    /** Packed buffers hold rows * k expert rows; the first start[experts] of them are used. */
    static final class Acts implements FeedForwardBlock.Acts {
        final INDArray logits;
        final INDArray scores;
        final INDArray topExpert;
        final INDArray topWeight;
        final INDArray order;
        final INDArray slotOf;
        final INDArray offsets;
        final INDArray xe;
        final INDArray gate;
        final INDArray up;
        final INDArray act;
        final INDArray ye;
        final SwiGluMlp.Acts shared;
        /** The router's own choice (with its scores and weights) while a replayed pass records; made on first use. */
        INDArray freeScores;
        INDArray freeTop;
        INDArray freeWeight;
        /** Host copy of offsets: the first slot of each expert, and the slots in use at the end. */
        int[] start;
        /** The balance loss's routing (host copies), when its weight is positive. */
        MoeRouter.Routing auxRouting;

        Acts(Shape s, MoeFeedForward m) {
            long slots = (long) s.rows * m.k;
            logits = s.zeros(s.rows, m.experts.length);
            scores = s.zeros(s.rows, m.experts.length);
            topExpert = s.ints(s.rows, m.k);
            topWeight = s.zeros(s.rows, m.k);
            order = s.ints(slots);
            slotOf = s.ints(slots);
            offsets = s.ints(m.experts.length + 1);
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
        final INDArray dTopWeight;
        final INDArray dScores;
        final INDArray dLogits;
        final SwiGluMlp.Grads shared;

        Grads(Shape s, MoeFeedForward m) {
            long slots = (long) s.rows * m.k;
            dye = s.zeros(slots, m.hidden);
            dAct = s.zeros(slots, m.width);
            dGate = s.zeros(slots, m.width);
            dUp = s.zeros(slots, m.width);
            dxe = s.zeros(slots, m.hidden);
            dTopWeight = s.zeros(s.rows, m.k);
            dScores = s.zeros(s.rows, m.experts.length);
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
        int[] given = replay;
        if (given != null) {
            if (given.length != s.rows * k) {
                throw new IllegalArgumentException("router replay holds " + given.length + " expert ids, the pass needs "
                        + s.rows * k);
            }
            ops.editOnHost(() -> a.topExpert.assign(Nd4j.createFromArray(given).reshape(a.topExpert.shape())), a.topExpert);
        }
        INDArray bias = correctionBias == null ? null : correctionBias.value();
        if (recording && given != null) {
            // record what the router would choose, while the pass uses the replayed experts
            if (a.freeTop == null) {
                a.freeScores = s.zeros(s.rows, experts.length);
                a.freeTop = s.ints(s.rows, k);
                a.freeWeight = s.zeros(s.rows, k);
            }
            ops.moeRoute(a.logits, bias, gate, valid, false, a.freeScores, a.freeTop, a.freeWeight);
            lastChoices = hostIds(a.freeTop);
        } else if (recording) {
            lastChoices = null;
        }
        ops.moeRoute(a.logits, bias, gate, valid, given != null, a.scores, a.topExpert, a.topWeight);
        ops.moeSortByExpert(a.topExpert, experts.length, a.order, a.slotOf, a.offsets);
        ops.toHost(a.offsets); // the one copy: experts + 1 ints drive the experts' matrix products
        int[] start = a.offsets.toIntVector();
        a.start = start;
        int slots = start[experts.length];
        for (int e = 0; countingLoad && e < experts.length; e++) {
            load[e] += start[e + 1] - start[e];
        }
        if (recording && given == null) {
            lastChoices = hostIds(a.topExpert);
        }
        a.auxRouting = null;
        lastAuxLoss = 0;
        if (auxWeight > 0) {
            ops.toHost(a.scores);
            ops.toHost(a.topExpert);
            a.auxRouting = new MoeRouter.Routing(s.rows, a.scores.ravel().toDoubleVector(), a.topExpert.ravel().toIntVector(),
                    valid, s.seq, auxWeight);
            lastAuxLoss = gating.balanceLoss(a.auxRouting, null);
        }
        if (slots > 0) {
            ops.moeGather(x, a.order, k, null, slots, a.xe);
            for (int e = 0; e < experts.length; e++) {
                int from = start[e];
                int to = start[e + 1];
                if (from < to) {
                    experts[e].gate.forward(rows(a.xe, from, to), rows(a.gate, from, to), false);
                    experts[e].up.forward(rows(a.xe, from, to), rows(a.up, from, to), false);
                }
            }
            ops.swiGluForward(rows(a.gate, 0, slots), rows(a.up, 0, slots), rows(a.act, 0, slots));
            for (int e = 0; e < experts.length; e++) {
                int from = start[e];
                int to = start[e + 1];
                if (from < to) {
                    experts[e].down.forward(rows(a.act, from, to), rows(a.ye, from, to), false);
                }
            }
            ops.moeCombine(a.ye, a.slotOf, a.topWeight, residual);
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
        int[] start = a.start;
        int slots = start[experts.length];
        for (int e = 0; e < experts.length; e++) {
            trainLoad[e] += start[e + 1] - start[e];
        }
        if (shared != null) {
            shared.backward(x, a.shared, g.shared, dOut, dx);
        } else {
            ops.zero(dx);
        }
        // d(loss)/d(weight) of every (token, choice): 0 for padding
        ops.moeCombineWeightGrad(dOut, a.ye, a.slotOf, g.dTopWeight);
        if (slots > 0) {
            ops.moeGather(dOut, a.order, k, a.topWeight, slots, g.dye);
            for (int e = 0; e < experts.length; e++) {
                int from = start[e];
                int to = start[e + 1];
                if (from < to) {
                    experts[e].down.backward(rows(a.act, from, to), rows(g.dye, from, to), rows(g.dAct, from, to),
                            false);
                }
            }
            ops.swiGluBackward(rows(g.dAct, 0, slots), rows(a.gate, 0, slots), rows(a.up, 0, slots),
                    rows(g.dGate, 0, slots), rows(g.dUp, 0, slots));
            for (int e = 0; e < experts.length; e++) {
                int from = start[e];
                int to = start[e + 1];
                if (from < to) {
                    experts[e].gate.backward(rows(a.xe, from, to), rows(g.dGate, from, to), rows(g.dxe, from, to),
                            false);
                    experts[e].up.backward(rows(a.xe, from, to), rows(g.dUp, from, to), rows(g.dxe, from, to), true);
                }
            }
            ops.moeCombine(g.dxe, a.slotOf, null, dx);
        }
        INDArray dScores = null;
        if (a.auxRouting != null) {
            double[] ds = new double[s.rows * experts.length];
            gating.balanceLoss(a.auxRouting, ds);
            ops.editOnHost(() -> g.dScores.assign(
                    Nd4j.createFromArray(ds).reshape(g.dScores.shape())), g.dScores);
            dScores = g.dScores;
        }
        ops.moeRouteBackward(a.scores, a.topExpert, g.dTopWeight, dScores, gate, g.dLogits);
        router.backward(x, g.dLogits, dx, true);
    }
}
