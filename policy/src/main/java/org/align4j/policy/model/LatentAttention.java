package org.align4j.policy.model;

import java.util.List;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.RopeTable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head latent attention (DeepSeek-V2 section 2.1, as transformers' DeepseekV2/V3Attention computes it).
 * Per token: a query, through the q_a bottleneck and its RMSNorm when q_lora_rank is set; and one joint
 * projection kv_a to a latent c (kv_lora_rank dims) plus a RoPE key k_r shared by all heads. The latent is normed
 * and kv_b expands it into each head's no-RoPE key and value. Head h attends with
 * q_h = [q_nope_h, rope(q_rope_h)] against k_h = [k_nope_h, rope(k_r)], scaled by 1 / sqrt(qk_head_dim) (times
 * {@link RopeScaling#softmaxScaleFactor} under YaRN).
 *
 * <p>Teacher-forced passes expand keys and values per head (training needs their gradients anyway). Decoding
 * caches only the normed latent and the rotated k_r per token and never expands them: W_uk (the key rows of
 * kv_b) is folded into the query, q_nope_h W_uk_h, scored against the latents directly, and W_uv (the value rows)
 * is applied once to the attention-weighted latent ("absorbed" projections, DeepSeek-V2 section 2.1.2).
 */
final class LatentAttention implements AttentionBlock {
    /** Query down-projection and its norm; null when queries are projected directly (q_lora_rank null). */
    final Linear qA;
    final RmsNorm qANorm;
    /** q_b_proj, or q_proj when there is no query bottleneck. */
    final Linear qB;
    final Linear kvA;
    final RmsNorm kvANorm;
    final Linear kvB;
    final Linear o;
    private final Ops ops;
    private final RotaryEmbedding rope;
    private final boolean interleaved;
    private final int heads;
    private final int nope;
    private final int ropeDim;
    private final int qkDim;
    private final int vDim;
    private final int rank;
    private final int qRank;
    private final double scale;
    /** kv_b's weight seen as one row, so that its per-head key and value blocks can be gathered for decoding. */
    private final INDArray kvBFlat;
    /** Fused attention ({@link Ops#flashAttentionForward}) over key and value rows: no [seq, seq] probabilities. */
    private boolean fused;

    LatentAttention(Ops ops, ModelConfig c, RotaryEmbedding rope, Linear qA, RmsNorm qANorm, Linear qB, Linear kvA,
                    RmsNorm kvANorm, Linear kvB, Linear o) {
        MlaConfig m = c.mla;
        this.ops = ops;
        this.rope = rope;
        this.interleaved = m.ropeInterleave();
        this.heads = c.numHeads;
        this.nope = m.qkNopeHeadDim();
        this.ropeDim = m.qkRopeHeadDim();
        this.qkDim = m.qkHeadDim();
        this.vDim = m.vHeadDim();
        this.rank = m.kvLoraRank();
        this.qRank = m.qLoraRank();
        // YaRN's mscale_all_dim correction (transformers' DeepseekV2/V3Attention)
        this.scale = m.softmaxScale() * c.ropeScaling.softmaxScaleFactor();
        this.qA = qA;
        this.qANorm = qANorm;
        this.qB = qB;
        this.kvA = kvA;
        this.kvANorm = kvANorm;
        this.kvB = kvB;
        this.o = o;
        INDArray w = kvB.weight.value();
        this.kvBFlat = w.reshape('c', 1, w.length());
    }

    @Override
    public Object scratchKey() {
        return List.of(LatentAttention.class, heads, nope, ropeDim, vDim, rank, qRank, fused);
    }

    @Override
    public void setFused(boolean on) {
        fused = on;
    }

    @Override
    public Acts newActs(Shape s) {
        return new Acts(s, this, fused);
    }

    @Override
    public Grads newGrads(Shape s) {
        return new Grads(s, this, fused);
    }

    @Override
    public StepBuffers newStepBuffers(Shape step, int capacity) {
        return new StepBuffers(step, this);
    }

    /** The normed latent [batch, 1, capacity, kv_lora_rank] and the rotated RoPE key [batch, 1, capacity, rope]. */
    @Override
    public LayerCache newCache(Shape step, int capacity) {
        return new LayerCache(step.zeros(step.batch, 1, capacity, rank), step.zeros(step.batch, 1, capacity, ropeDim));
    }

    static final class Acts implements AttentionBlock.Acts {
        final INDArray qa;
        final INDArray qaRstd;
        final INDArray qaNorm;
        /** [rows, heads * qk_head_dim], the RoPE part of each head rotated in place. */
        final INDArray q;
        /** [rows, kv_lora_rank + rope]: the latent, then the (rotated in place) RoPE key. */
        final INDArray ckv;
        final INDArray c;
        final INDArray cRstd;
        final INDArray cNorm;
        /** [rows, heads * (nope + v)]: kv_b's output, each head's no-RoPE key then its value. */
        final INDArray kv;
        final INDArray kRope;
        final INDArray qg;
        final INDArray kg;
        final INDArray vg;
        final INDArray probs;
        final INDArray og;
        final INDArray oRows;
        /** Fused only: every head's key [rows, heads * qk_head_dim] and value [rows, heads * v_head_dim] as rows. */
        final INDArray kRows;
        final INDArray vRows;
        /** Fused only: each query's log-sum-exp, and the real positions per row (all: causality masks padding). */
        final INDArray lse;
        final int[] lengths;

        Acts(Shape s, LatentAttention m, boolean fused) {
            long bh = (long) s.batch * m.heads;
            qa = m.qRank > 0 ? s.zeros(s.rows, m.qRank) : null;
            qaRstd = m.qRank > 0 ? s.zeros(s.rows) : null;
            qaNorm = m.qRank > 0 ? s.zeros(s.rows, m.qRank) : null;
            q = s.zeros(s.rows, (long) m.heads * m.qkDim);
            ckv = s.zeros(s.rows, m.rank + m.ropeDim);
            c = s.zeros(s.rows, m.rank);
            cRstd = s.zeros(s.rows);
            cNorm = s.zeros(s.rows, m.rank);
            kv = s.zeros(s.rows, (long) m.heads * (m.nope + m.vDim));
            kRope = s.zeros(s.rows, m.ropeDim);
            qg = fused ? null : s.zeros(bh, s.seq, m.qkDim);
            kg = s.zeros(bh, s.seq, m.qkDim);
            vg = s.zeros(bh, s.seq, m.vDim);
            probs = fused ? null : s.zeros(bh, s.seq, s.seq);
            og = fused ? null : s.zeros(bh, s.seq, m.vDim);
            oRows = s.zeros(s.rows, (long) m.heads * m.vDim);
            kRows = fused ? s.zeros(s.rows, (long) m.heads * m.qkDim) : null;
            vRows = fused ? s.zeros(s.rows, (long) m.heads * m.vDim) : null;
            lse = fused ? s.zeros(bh * s.seq) : null;
            lengths = new int[s.batch];
            java.util.Arrays.fill(lengths, s.seq);
        }
    }

    static final class Grads implements AttentionBlock.Grads {
        final INDArray dORows;
        final INDArray dOg;
        final INDArray dScores;
        final INDArray dQg;
        final INDArray dKg;
        final INDArray dVg;
        final INDArray dq;
        final INDArray dkv;
        final INDArray dcNorm;
        final INDArray dc;
        final INDArray dckv;
        final INDArray dqaNorm;
        final INDArray dqa;
        /** Fused only: the gradients of Acts' kRows and vRows. */
        final INDArray dkRows;
        final INDArray dvRows;

        Grads(Shape s, LatentAttention m, boolean fused) {
            long bh = (long) s.batch * m.heads;
            dORows = s.zeros(s.rows, (long) m.heads * m.vDim);
            dOg = fused ? null : s.zeros(bh, s.seq, m.vDim);
            dScores = fused ? null : s.zeros(bh, s.seq, s.seq);
            dQg = fused ? null : s.zeros(bh, s.seq, m.qkDim);
            dKg = s.zeros(bh, s.seq, m.qkDim);
            dVg = s.zeros(bh, s.seq, m.vDim);
            dq = s.zeros(s.rows, (long) m.heads * m.qkDim);
            dkv = s.zeros(s.rows, (long) m.heads * (m.nope + m.vDim));
            dcNorm = s.zeros(s.rows, m.rank);
            dc = s.zeros(s.rows, m.rank);
            dckv = s.zeros(s.rows, m.rank + m.ropeDim);
            dqaNorm = m.qRank > 0 ? s.zeros(s.rows, m.qRank) : null;
            dqa = m.qRank > 0 ? s.zeros(s.rows, m.qRank) : null;
            dkRows = fused ? s.zeros(s.rows, (long) m.heads * m.qkDim) : null;
            dvRows = fused ? s.zeros(s.rows, (long) m.heads * m.vDim) : null;
        }
    }

    /** One decoding step's buffers; per-head arrays are head-major [heads, batch, ...] for batched products. */
    static final class StepBuffers implements AttentionBlock.StepBuffers {
        final INDArray qa;
        final INDArray qaRstd;
        final INDArray qaNorm;
        final INDArray q;
        final INDArray ckv;
        final INDArray c;
        final INDArray cRstd;
        final INDArray cNorm;
        final INDArray kRope;
        final INDArray qNope;
        final INDArray qRope;
        final INDArray wUk;
        final INDArray wUkFlat;
        final INDArray wUv;
        final INDArray wUvFlat;
        final INDArray qLatent;
        final INDArray oLatent;
        final INDArray oHeads;
        final INDArray attn;

        StepBuffers(Shape step, LatentAttention m) {
            int batch = step.batch;
            qa = m.qRank > 0 ? step.zeros(batch, m.qRank) : null;
            qaRstd = m.qRank > 0 ? step.zeros(batch) : null;
            qaNorm = m.qRank > 0 ? step.zeros(batch, m.qRank) : null;
            q = step.zeros(batch, (long) m.heads * m.qkDim);
            ckv = step.zeros(batch, m.rank + m.ropeDim);
            c = step.zeros(batch, m.rank);
            cRstd = step.zeros(batch);
            cNorm = step.zeros(batch, m.rank);
            kRope = step.zeros(batch, m.ropeDim);
            qNope = step.zeros(m.heads, batch, m.nope);
            qRope = step.zeros(m.heads, batch, m.ropeDim);
            wUk = step.zeros(m.heads, m.nope, m.rank);
            wUkFlat = wUk.reshape('c', m.heads, 1, (long) m.nope * m.rank);
            wUv = step.zeros(m.heads, m.vDim, m.rank);
            wUvFlat = wUv.reshape('c', m.heads, 1, (long) m.vDim * m.rank);
            qLatent = step.zeros(m.heads, batch, m.rank);
            oLatent = step.zeros(m.heads, batch, m.rank);
            oHeads = step.zeros(m.heads, batch, m.vDim);
            attn = step.zeros(batch, (long) m.heads * m.vDim);
        }
    }

    /** Queries [rows, heads * qk_head_dim] of x, before RoPE. */
    private void queries(INDArray x, INDArray qa, INDArray qaRstd, INDArray qaNorm, INDArray q) {
        if (qA != null) {
            qA.forward(x, qa, false);
            qANorm.forward(qa, qaNorm, qaRstd);
            qB.forward(qaNorm, q, false);
        } else {
            qB.forward(x, q, false);
        }
    }

    /** ckv = kv_a(x), its latent part copied out to c and normed into cNorm, RoPE applied to q and the key. */
    private void latentsAndRope(INDArray x, int[] positions, int batch, int seq, INDArray q, INDArray ckv,
                                INDArray c, INDArray cRstd, INDArray cNorm) {
        kvA.forward(x, ckv, false);
        ops.gatherHeads(ckv, 0, 0, c, 0, rank, batch, seq, true);
        kvANorm.forward(c, cNorm, cRstd);
        RopeTable table = rope.forPositions(positions);
        ops.ropeSlice(q, positions, table, qkDim, nope, interleaved, false);
        ops.ropeSlice(ckv, positions, table, rank + ropeDim, rank, interleaved, false);
    }

    @Override
    public void forward(Shape s, INDArray x, int[] positions, AttentionBlock.Acts acts, INDArray residual,
                        LayerCache cache, int[] cacheStart) {
        Acts a = (Acts) acts;
        queries(x, a.qa, a.qaRstd, a.qaNorm, a.q);
        latentsAndRope(x, positions, s.batch, s.seq, a.q, a.ckv, a.c, a.cRstd, a.cNorm);
        kvB.forward(a.cNorm, a.kv, false);
        ops.gatherHeads(a.kv, 0, nope + vDim, a.kg, 0, nope, s.batch, s.seq, true);
        ops.gatherHeads(a.ckv, rank, 0, a.kg, nope, ropeDim, s.batch, s.seq, true);
        ops.gatherHeads(a.kv, nope, nope + vDim, a.vg, 0, vDim, s.batch, s.seq, true);
        if (cache != null) {
            ops.gatherHeads(a.ckv, rank, 0, a.kRope, 0, ropeDim, s.batch, s.seq, true);
            ops.writeKv(a.cNorm, cache.tensors[0], s.batch, s.seq, cacheStart);
            ops.writeKv(a.kRope, cache.tensors[1], s.batch, s.seq, cacheStart);
        }
        if (fused) {
            // keys [k_nope_h, k_rope] and values of every head as rows (the shared RoPE key copied per head)
            ops.regroupHeads(a.kRows, a.kg, s.batch, s.seq, heads, 1, false);
            ops.regroupHeads(a.vRows, a.vg, s.batch, s.seq, heads, 1, false);
            ops.flashAttentionForward(a.q, a.kRows, a.vRows, a.lengths, s.seq, scale, a.oRows, a.lse);
            o.forward(a.oRows, residual, true);
            return;
        }
        ops.regroupHeads(a.q, a.qg, s.batch, s.seq, heads, 1, true);
        ops.bmm(a.qg, a.kg, a.probs, false, true);
        ops.causalSoftmax(a.probs, s.seq, scale);
        ops.bmm(a.probs, a.vg, a.og, false, false);
        ops.regroupHeads(a.oRows, a.og, s.batch, s.seq, heads, 1, false);
        o.forward(a.oRows, residual, true);
    }

    @Override
    public void backward(Shape s, INDArray x, int[] positions, AttentionBlock.Acts acts, AttentionBlock.Grads grads,
                         INDArray dOut, INDArray dx) {
        Acts a = (Acts) acts;
        Grads g = (Grads) grads;
        o.backward(a.oRows, dOut, g.dORows, false);
        if (fused) {
            ops.flashAttentionBackward(a.q, a.kRows, a.vRows, a.oRows, a.lse, g.dORows, a.lengths, s.seq, scale,
                    g.dq, g.dkRows, g.dvRows);
            ops.regroupHeads(g.dkRows, g.dKg, s.batch, s.seq, heads, 1, true);
            ops.regroupHeads(g.dvRows, g.dVg, s.batch, s.seq, heads, 1, true);
        } else {
            ops.regroupHeads(g.dORows, g.dOg, s.batch, s.seq, heads, 1, true);
            ops.bmm(g.dOg, a.vg, g.dScores, false, true);
            ops.bmm(a.probs, g.dOg, g.dVg, true, false);
            ops.softmaxBackward(a.probs, g.dScores, scale);
            ops.bmm(g.dScores, a.kg, g.dQg, false, false);
            ops.bmm(g.dScores, a.qg, g.dKg, true, false);
            ops.regroupHeads(g.dq, g.dQg, s.batch, s.seq, heads, 1, false);
        }
        ops.zero(g.dkv);
        ops.gatherHeads(g.dkv, 0, nope + vDim, g.dKg, 0, nope, s.batch, s.seq, false);
        ops.gatherHeads(g.dkv, nope, nope + vDim, g.dVg, 0, vDim, s.batch, s.seq, false);
        // the shared RoPE key collects the gradient of every head's copy
        ops.zero(g.dckv);
        ops.gatherHeads(g.dckv, rank, 0, g.dKg, nope, ropeDim, s.batch, s.seq, false);
        RopeTable table = rope.forPositions(positions);
        ops.ropeSlice(g.dq, positions, table, qkDim, nope, interleaved, true);
        ops.ropeSlice(g.dckv, positions, table, rank + ropeDim, rank, interleaved, true);
        kvB.backward(a.cNorm, g.dkv, g.dcNorm, false);
        ops.zero(g.dc);
        kvANorm.backward(g.dcNorm, a.c, a.cRstd, g.dc);
        ops.gatherHeads(g.dckv, 0, 0, g.dc, 0, rank, s.batch, s.seq, false);
        if (qA != null) {
            qB.backward(a.qaNorm, g.dq, g.dqaNorm, false);
            ops.zero(g.dqa);
            qANorm.backward(g.dqaNorm, a.qa, a.qaRstd, g.dqa);
            qA.backward(x, g.dqa, dx, false);
        } else {
            qB.backward(x, g.dq, dx, false);
        }
        kvA.backward(x, g.dckv, dx, true);
    }

    @Override
    public void decode(INDArray x, INDArray residual, int[] positions, int[] start, int[] visible, LayerCache cache,
                       AttentionBlock.StepBuffers buffers) {
        StepBuffers b = (StepBuffers) buffers;
        int batch = positions.length;
        queries(x, b.qa, b.qaRstd, b.qaNorm, b.q);
        latentsAndRope(x, positions, batch, 1, b.q, b.ckv, b.c, b.cRstd, b.cNorm);
        ops.gatherHeads(b.ckv, rank, 0, b.kRope, 0, ropeDim, batch, 1, true);
        ops.writeKv(b.cNorm, cache.tensors[0], batch, 1, start);
        ops.writeKv(b.kRope, cache.tensors[1], batch, 1, start);
        // W_uk [heads, nope, rank] and W_uv [heads, v, rank] are kv_b's key and value rows of each head; gathered
        // per step (a copy the size of kv_b) so that they always follow the current weights
        // (with a LoRA adapter on kv_b_proj, of W + scale * B A: the absorbed product never goes through Linear)
        INDArray kvBWeights = kvB.lora != null && kvB.lora.active() ? kvB.lora.mergedWeightFlat(kvB.weight.value())
                : kvBFlat;
        ops.gatherHeads(kvBWeights, 0, (nope + vDim) * rank, b.wUkFlat, 0, nope * rank, 1, 1, true);
        ops.gatherHeads(kvBWeights, nope * rank, (nope + vDim) * rank, b.wUvFlat, 0, vDim * rank, 1, 1, true);
        // seen as batch 1 of seq = batch rows, gatherHeads lays the query heads out head-major [heads, batch, .]
        ops.gatherHeads(b.q, 0, qkDim, b.qNope, 0, nope, 1, batch, true);
        ops.gatherHeads(b.q, nope, qkDim, b.qRope, 0, ropeDim, 1, batch, true);
        ops.bmm(b.qNope, b.wUk, b.qLatent, false, false);
        ops.latentDecodeAttention(b.qLatent, b.qRope, cache.tensors[0], cache.tensors[1], visible, b.oLatent, scale);
        ops.bmm(b.oLatent, b.wUv, b.oHeads, false, true);
        ops.zero(b.attn);
        ops.gatherHeads(b.attn, 0, vDim, b.oHeads, 0, vDim, 1, batch, false);
        o.forward(b.attn, residual, true);
    }
}
