package org.align4j.policy.model;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The LoRA update of one linear layer, as PEFT computes it: y += scale * dropout(x) A^T B^T, with A [r, in],
 * B [out, r] and scale = lora_alpha / r (lora_alpha / sqrt(r) with rsLoRA). Nothing is kept between the forward
 * and the backward pass: the backward pass recomputes h = dropout(x) A^T from x (r columns, cheap beside the base
 * product), and the dropout mask is a hash of the pass, the layer and the element (see {@link Ops#dropout}), so it
 * is the same in both.
 */
final class LoraLayer {
    /** The module's name as in the checkpoint, without ".weight" (model.layers.0.self_attn.q_proj). */
    final String module;
    final Parameter a;
    final Parameter b;
    final double scale;
    private final double dropout;
    private final long salt;
    private final int rank;
    private final int in;
    private final Ops ops;
    private final LoraAdapters owner;

    LoraLayer(LoraAdapters owner, Ops ops, String module, Parameter a, Parameter b, double scale, double dropout,
              long salt) {
        this.owner = owner;
        this.ops = ops;
        this.module = module;
        this.a = a;
        this.b = b;
        this.scale = scale;
        this.dropout = dropout;
        this.salt = salt;
        this.rank = Math.toIntExact(a.value().size(0));
        this.in = Math.toIntExact(a.value().size(1));
    }

    boolean active() {
        return owner.enabled();
    }

    /** y += scale * dropout(x) A^T B^T. */
    void forward(INDArray x, INDArray y) {
        int rows = Math.toIntExact(x.size(0));
        INDArray xd = dropped(x, rows, LoraAdapters.Slot.DROPPED_X);
        INDArray h = owner.scratch(LoraAdapters.Slot.H, rows, rank);
        ops.gemm(xd, a.value(), h, false, true, 1.0, 0.0);
        ops.gemm(h, b.value(), y, false, true, scale, 1.0);
    }

    /** Accumulates dA and dB; adds the adapter's part of dx into dx (which the base layer has written). */
    void backward(INDArray x, INDArray dy, INDArray dx) {
        int rows = Math.toIntExact(x.size(0));
        INDArray xd = dropped(x, rows, LoraAdapters.Slot.DROPPED_X);
        INDArray h = owner.scratch(LoraAdapters.Slot.H, rows, rank);
        ops.gemm(xd, a.value(), h, false, true, 1.0, 0.0);
        ops.gemm(dy, h, b.grad(), true, false, scale, 1.0);
        INDArray dh = owner.scratch(LoraAdapters.Slot.DH, rows, rank);
        ops.gemm(dy, b.value(), dh, false, false, scale, 0.0);
        ops.gemm(dh, xd, a.grad(), true, false, 1.0, 1.0);
        if (dx == null) {
            return;
        }
        long seed = maskSeed();
        if (seed < 0) {
            ops.gemm(dh, a.value(), dx, false, false, 1.0, 1.0);
        } else {
            INDArray t = owner.scratch(LoraAdapters.Slot.DX_PART, rows, in);
            ops.gemm(dh, a.value(), t, false, false, 1.0, 0.0);
            ops.dropout(t, t, dropout, seed);
            ops.addInPlace(dx, t);
        }
    }

    private INDArray merged;
    private INDArray mergedFlat;

    /**
     * W + scale * B A as one row [1, out * in] (a buffer of this layer, rewritten on each call), for code that reads
     * a layer's weight directly rather than through {@link Linear#forward}: MLA decoding folds kv_b_proj's key rows
     * into the query.
     */
    INDArray mergedWeightFlat(INDArray w) {
        if (merged == null) {
            merged = org.nd4j.linalg.factory.Nd4j.create(w.dataType(), w.shape());
            mergedFlat = merged.reshape('c', 1, merged.length());
        }
        ops.copy(w, merged);
        ops.gemm(b.value(), a.value(), merged, false, false, scale, 1.0);
        return mergedFlat;
    }

    /** x itself, or dropout(x) in a scratch buffer when this pass drops. */
    private INDArray dropped(INDArray x, int rows, LoraAdapters.Slot slot) {
        long seed = maskSeed();
        if (seed < 0) {
            return x;
        }
        INDArray xd = owner.scratch(slot, rows, in);
        ops.dropout(x, xd, dropout, seed);
        return xd;
    }

    /** The mask's seed for the current pass, or -1 when this pass does not drop. */
    private long maskSeed() {
        long pass = owner.dropoutPass();
        if (dropout == 0 || pass < 0) {
            return -1;
        }
        return LoraAdapters.mix(pass * 0x9E3779B97F4A7C15L + salt) >>> 1;
    }

    static INDArray rows(INDArray a, int n) {
        return n == a.size(0) ? a : a.get(interval(0, n), all());
    }
}
