package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keys and values of every layer for a batch of sequences, [batch, kvHeads, capacity, headDim] per layer,
 * plus the buffers of one decoding step; allocated once per rollout batch and reused for every token.
 */
public final class KvCache implements AutoCloseable {
    final int batch;
    final int capacity;
    final int[] lengths;
    final INDArray[] k;
    final INDArray[] v;
    final INDArray x;
    final INDArray norm;
    final INDArray rstd;
    final INDArray q;
    final INDArray k1;
    final INDArray v1;
    final INDArray attn;
    final INDArray gate;
    final INDArray up;
    final INDArray act;
    final INDArray logits;
    final INDArray scratch;
    private final Ops ops;

    KvCache(ModelConfig c, DataType dtype, Ops ops, int batch, int capacity) {
        this.ops = ops;
        this.batch = batch;
        this.capacity = capacity;
        this.lengths = new int[batch];
        k = new INDArray[c.numLayers];
        v = new INDArray[c.numLayers];
        for (int l = 0; l < c.numLayers; l++) {
            // Zeroed through the backend: a GPU clears its own copy and never touches (or uploads) the host
            // pages of caches that can run to hundreds of MB per rollout batch.
            k[l] = Nd4j.createUninitialized(dtype, batch, c.numKvHeads, capacity, c.headDim);
            v[l] = Nd4j.createUninitialized(dtype, batch, c.numKvHeads, capacity, c.headDim);
            ops.zero(k[l]);
            ops.zero(v[l]);
        }
        x = Nd4j.create(dtype, batch, c.hiddenSize);
        norm = Nd4j.create(dtype, batch, c.hiddenSize);
        rstd = Nd4j.create(dtype, batch);
        q = Nd4j.create(dtype, batch, (long) c.numHeads * c.headDim);
        k1 = Nd4j.create(dtype, batch, (long) c.numKvHeads * c.headDim);
        v1 = Nd4j.create(dtype, batch, (long) c.numKvHeads * c.headDim);
        attn = Nd4j.create(dtype, batch, (long) c.numHeads * c.headDim);
        gate = Nd4j.create(dtype, batch, c.intermediateSize);
        up = Nd4j.create(dtype, batch, c.intermediateSize);
        act = Nd4j.create(dtype, batch, c.intermediateSize);
        logits = Nd4j.create(dtype, batch, c.vocabSize);
        scratch = Nd4j.create(dtype, capacity);
    }

    public int batchSize() {
        return batch;
    }

    public int capacity() {
        return capacity;
    }

    /** Tokens held for row b (prompt plus decoded tokens). */
    public int length(int b) {
        return lengths[b];
    }

    /**
     * Copies row {@code fromRow} of another cache (its keys, values and length) into row {@code toRow} of
     * this one, so that a prompt prefilled once can be shared by several sampled continuations, and a batch
     * whose rows are mostly finished can be moved into a smaller cache. The caches must belong to models of
     * the same shape; their capacities may differ if the row fits. Logits are not copied.
     */
    public void copyRow(KvCache from, int fromRow, int toRow) {
        int len = from.lengths[fromRow];
        if (k.length != from.k.length || k[0].dataType() != from.k[0].dataType()
                || k[0].size(1) != from.k[0].size(1) || k[0].size(3) != from.k[0].size(3)) {
            throw new IllegalArgumentException("copyRow between caches of different model shapes");
        }
        if (len > capacity) {
            throw new IllegalArgumentException("row of " + len + " tokens does not fit a cache of " + capacity);
        }
        for (int l = 0; l < k.length; l++) {
            ops.copyCacheRow(from.k[l], fromRow, k[l], toRow, len);
            ops.copyCacheRow(from.v[l], fromRow, v[l], toRow, len);
        }
        lengths[toRow] = len;
    }

    /** Where close() offers the cache for reuse (its model's spares); null: close() frees it. */
    java.util.function.Predicate<KvCache> spares;
    private boolean closed;

    /** Makes a closed spare usable again: no sequence in it (old keys and values past length 0 are never read). */
    void reopen() {
        closed = false;
        java.util.Arrays.fill(lengths, 0);
    }

    /**
     * Done with the cache: its model keeps it as a spare for the next cache of the same shape (allocating and
     * clearing hundreds of MB of host memory per rollout batch cost more than the decoding on a GPU), or its
     * off-heap memory is freed now rather than whenever the garbage collector finds it; rollouts allocate a
     * cache per batch, and waiting for the collector let memory pile up. The cache must not be used after.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (spares != null && spares.test(this)) {
            return;
        }
        free();
    }

    /** Frees the off-heap memory of every array now. */
    void free() {
        closed = true;
        for (int l = 0; l < k.length; l++) {
            free(k[l]);
            free(v[l]);
        }
        for (INDArray a : new INDArray[] {x, norm, rstd, q, k1, v1, attn, gate, up, act, logits, scratch}) {
            free(a);
        }
    }

    private static void free(INDArray a) {
        if (a != null && !a.wasClosed()) {
            a.close();
        }
    }

    /** Bytes held by the keys and values. */
    public long bytes() {
        long n = 0;
        for (int l = 0; l < k.length; l++) {
            n += (k[l].length() + v[l].length()) * k[l].dataType().width();
        }
        return n;
    }
}
