package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.RopeTable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Causal self-attention with grouped-query heads and rotary positions. Queries are laid out
 * [batch * kvHeads, group * seq, headDim] so that each key/value head is shared by its group of query
 * heads inside one batched matrix product, without copying keys and values per query head.
 */
final class Attention implements AttentionBlock {
    final Linear q;
    final Linear k;
    final Linear v;
    final Linear o;
    private final ModelConfig c;
    private final RotaryEmbedding rope;
    private final Ops ops;
    private final double scale;
    /** Fused attention ({@link Ops#flashAttentionForward}): no [seq, seq] probabilities are kept. */
    private boolean fused;

    Attention(Ops ops, ModelConfig c, RotaryEmbedding rope, Linear q, Linear k, Linear v, Linear o) {
        this.ops = ops;
        this.c = c;
        this.rope = rope;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.scale = 1.0 / Math.sqrt(c.headDim);
    }

    @Override
    public void setFused(boolean on) {
        fused = on;
    }

    @Override
    public Object scratchKey() {
        // every layer of a model has the same attention shape
        return java.util.List.of(Attention.class, fused);
    }

    @Override
    public Acts newActs(Shape s) {
        return new Acts(s, c, fused);
    }

    @Override
    public Grads newGrads(Shape s) {
        return new Grads(s, c, fused);
    }

    @Override
    public StepBuffers newStepBuffers(Shape step, int capacity) {
        return new StepBuffers(c, step, capacity);
    }

    /** Keys and values [batch, kvHeads, capacity, headDim]. */
    @Override
    public LayerCache newCache(Shape step, int capacity) {
        return new LayerCache(step.zeros(step.batch, c.numKvHeads, capacity, c.headDim),
                step.zeros(step.batch, c.numKvHeads, capacity, c.headDim));
    }

    /**
     * What the forward pass keeps for the backward pass. Fused, only the projection rows, the output and each
     * query's log-sum-exp; unfused, also the grouped layouts and the [seq, seq] probabilities.
     */
    static final class Acts implements AttentionBlock.Acts {
        final INDArray qRows;
        final INDArray kRows;
        final INDArray vRows;
        final INDArray qg;
        final INDArray kg;
        final INDArray vg;
        final INDArray probs;
        final INDArray og;
        final INDArray oRows;
        final INDArray lse;
        /** Real positions per row for the fused op: all of them (right padding is masked by causality). */
        final int[] lengths;

        Acts(Shape s, ModelConfig c) {
            this(s, c, false);
        }

        Acts(Shape s, ModelConfig c, boolean fused) {
            int kvRowsWidth = c.numKvHeads * c.headDim;
            int qRowsWidth = c.numHeads * c.headDim;
            long bk = (long) s.batch * c.numKvHeads;
            qRows = s.zeros(s.rows, qRowsWidth);
            kRows = s.zeros(s.rows, kvRowsWidth);
            vRows = s.zeros(s.rows, kvRowsWidth);
            qg = fused ? null : s.zeros(bk, (long) c.group() * s.seq, c.headDim);
            kg = fused ? null : s.zeros(bk, s.seq, c.headDim);
            vg = fused ? null : s.zeros(bk, s.seq, c.headDim);
            probs = fused ? null : s.zeros(bk, (long) c.group() * s.seq, s.seq);
            og = fused ? null : s.zeros(bk, (long) c.group() * s.seq, c.headDim);
            oRows = s.zeros(s.rows, qRowsWidth);
            lse = fused ? s.zeros((long) s.batch * c.numHeads * s.seq) : null;
            lengths = new int[s.batch];
            java.util.Arrays.fill(lengths, s.seq);
        }
    }

    /** Gradient scratch shared by all layers of one shape. */
    static final class Grads implements AttentionBlock.Grads {
        final INDArray dORows;
        final INDArray dOg;
        final INDArray dScores;
        final INDArray dQg;
        final INDArray dKg;
        final INDArray dVg;
        final INDArray dqRows;
        final INDArray dkRows;
        final INDArray dvRows;

        Grads(Shape s, ModelConfig c) {
            this(s, c, false);
        }

        Grads(Shape s, ModelConfig c, boolean fused) {
            int kvRowsWidth = c.numKvHeads * c.headDim;
            int qRowsWidth = c.numHeads * c.headDim;
            long bk = (long) s.batch * c.numKvHeads;
            dORows = s.zeros(s.rows, qRowsWidth);
            dOg = fused ? null : s.zeros(bk, (long) c.group() * s.seq, c.headDim);
            dScores = fused ? null : s.zeros(bk, (long) c.group() * s.seq, s.seq);
            dQg = fused ? null : s.zeros(bk, (long) c.group() * s.seq, c.headDim);
            dKg = fused ? null : s.zeros(bk, s.seq, c.headDim);
            dVg = fused ? null : s.zeros(bk, s.seq, c.headDim);
            dqRows = s.zeros(s.rows, qRowsWidth);
            dkRows = s.zeros(s.rows, kvRowsWidth);
            dvRows = s.zeros(s.rows, kvRowsWidth);
        }
    }

    /** The projections of one decoding step. */
    static final class StepBuffers implements AttentionBlock.StepBuffers {
        final INDArray q;
        final INDArray k1;
        final INDArray v1;
        final INDArray attn;
        final INDArray scratch;

        StepBuffers(ModelConfig c, Shape step, int capacity) {
            q = step.zeros(step.batch, (long) c.numHeads * c.headDim);
            k1 = step.zeros(step.batch, (long) c.numKvHeads * c.headDim);
            v1 = step.zeros(step.batch, (long) c.numKvHeads * c.headDim);
            attn = step.zeros(step.batch, (long) c.numHeads * c.headDim);
            scratch = step.zeros(capacity);
        }
    }

    /**
     * residual += attention(x). With a cache (prefill), the rotated keys and the values are also written into
     * it from cacheStart.
     */
    @Override
    public void forward(Shape s, INDArray x, int[] positions, AttentionBlock.Acts acts, INDArray residual,
                        LayerCache cache, int[] cacheStart) {
        Acts a = (Acts) acts;
        q.forward(x, a.qRows, false);
        k.forward(x, a.kRows, false);
        v.forward(x, a.vRows, false);
        RopeTable table = rope.forPositions(positions);
        ops.rope(a.qRows, positions, table, false);
        ops.rope(a.kRows, positions, table, false);
        if (cache != null) {
            ops.writeKv(a.kRows, cache.tensors[0], s.batch, s.seq, cacheStart);
            ops.writeKv(a.vRows, cache.tensors[1], s.batch, s.seq, cacheStart);
        }
        if (fused) {
            ops.flashAttentionForward(a.qRows, a.kRows, a.vRows, a.lengths, s.seq, scale, a.oRows, a.lse);
            o.forward(a.oRows, residual, true);
            return;
        }
        ops.regroupHeads(a.qRows, a.qg, s.batch, s.seq, c.numKvHeads, c.group(), true);
        ops.regroupHeads(a.kRows, a.kg, s.batch, s.seq, c.numKvHeads, 1, true);
        ops.regroupHeads(a.vRows, a.vg, s.batch, s.seq, c.numKvHeads, 1, true);
        ops.bmm(a.qg, a.kg, a.probs, false, true);
        ops.causalSoftmax(a.probs, s.seq, scale);
        ops.bmm(a.probs, a.vg, a.og, false, false);
        ops.regroupHeads(a.oRows, a.og, s.batch, s.seq, c.numKvHeads, c.group(), false);
        o.forward(a.oRows, residual, true);
    }

    /** Given dOut = d(loss)/d(attention output), accumulates parameter gradients and writes dx. */
    @Override
    public void backward(Shape s, INDArray x, int[] positions, AttentionBlock.Acts acts, AttentionBlock.Grads grads,
                         INDArray dOut, INDArray dx) {
        Acts a = (Acts) acts;
        Grads g = (Grads) grads;
        o.backward(a.oRows, dOut, g.dORows, false);
        if (fused) {
            ops.flashAttentionBackward(a.qRows, a.kRows, a.vRows, a.oRows, a.lse, g.dORows, a.lengths, s.seq, scale,
                    g.dqRows, g.dkRows, g.dvRows);
        } else {
            unfusedBackward(s, a, g);
        }
        RopeTable table = rope.forPositions(positions);
        ops.rope(g.dqRows, positions, table, true);
        ops.rope(g.dkRows, positions, table, true);
        q.backward(x, g.dqRows, dx, false);
        k.backward(x, g.dkRows, dx, true);
        v.backward(x, g.dvRows, dx, true);
    }

    /** dq, dk, dv rows from d(output rows) through the kept [seq, seq] probabilities. */
    private void unfusedBackward(Shape s, Acts a, Grads g) {
        ops.regroupHeads(g.dORows, g.dOg, s.batch, s.seq, c.numKvHeads, c.group(), true);
        ops.bmm(g.dOg, a.vg, g.dScores, false, true);
        ops.bmm(a.probs, g.dOg, g.dVg, true, false);
        ops.softmaxBackward(a.probs, g.dScores, scale);
        ops.bmm(g.dScores, a.kg, g.dQg, false, false);
        ops.bmm(g.dScores, a.qg, g.dKg, true, false);
        ops.regroupHeads(g.dqRows, g.dQg, s.batch, s.seq, c.numKvHeads, c.group(), false);
        ops.regroupHeads(g.dkRows, g.dKg, s.batch, s.seq, c.numKvHeads, 1, false);
        ops.regroupHeads(g.dvRows, g.dVg, s.batch, s.seq, c.numKvHeads, 1, false);
    }

    @Override
    public void decode(INDArray x, INDArray residual, int[] positions, int[] start, int[] visible, LayerCache cache,
                       AttentionBlock.StepBuffers buffers) {
        StepBuffers b = (StepBuffers) buffers;
        int batch = positions.length;
        q.forward(x, b.q, false);
        k.forward(x, b.k1, false);
        v.forward(x, b.v1, false);
        RopeTable table = rope.forPositions(positions);
        ops.rope(b.q, positions, table, false);
        ops.rope(b.k1, positions, table, false);
        ops.writeKv(b.k1, cache.tensors[0], batch, 1, start);
        ops.writeKv(b.v1, cache.tensors[1], batch, 1, start);
        ops.decodeAttention(b.q, cache.tensors[0], cache.tensors[1], visible, b.attn, c.group(), scale, b.scratch);
        o.forward(b.attn, residual, true);
    }
}
