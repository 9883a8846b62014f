package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer's part of a {@link KvCache}: tensors of [batch, heads, capacity, dim] indexed by position. Grouped-
 * query attention keeps keys and values ({@code kvHeads} heads each); multi-head latent attention keeps the
 * normed key/value latent and the rotated RoPE key, one "head" each, shared by all query heads.
 */
final class LayerCache {
    final INDArray[] tensors;

    LayerCache(INDArray... tensors) {
        this.tensors = tensors;
    }

    /** The same tensor count, dtype, heads and dims (capacity and batch may differ). */
    boolean sameShapeAs(LayerCache o) {
        if (tensors.length != o.tensors.length) {
            return false;
        }
        for (int i = 0; i < tensors.length; i++) {
            INDArray a = tensors[i];
            INDArray b = o.tensors[i];
            if (a.dataType() != b.dataType() || a.size(1) != b.size(1) || a.size(3) != b.size(3)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Copies the first len positions of row fromRow of another layer cache into row toRow of this one, through
     * the backend (a GPU copies between its own buffers; a host byte copy would miss them).
     */
    void copyRow(LayerCache from, int fromRow, int toRow, int len, Ops ops) {
        for (int i = 0; i < tensors.length; i++) {
            ops.copyCacheRow(from.tensors[i], fromRow, tensors[i], toRow, len);
        }
    }

    long bytes() {
        long n = 0;
        for (INDArray t : tensors) {
            n += t.length() * t.dataType().width();
        }
        return n;
    }

    /** Bytes one position of one row takes. */
    long bytesPerToken() {
        long n = 0;
        for (INDArray t : tensors) {
            n += t.size(1) * t.size(3) * t.dataType().width();
        }
        return n;
    }
}
