package org.align4j.policy.model;

import java.util.HashMap;
import java.util.Map;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What incremental decoding keeps for a batch of sequences: one {@link LayerCache} per layer (keys and values for
 * grouped-query attention, the compressed latent and RoPE key for multi-head latent attention), plus the buffers
 * of one decoding step; allocated once per rollout batch and reused for every token.
 */
public final class KvCache implements AutoCloseable {
    final int batch;
    final int capacity;
    final int[] lengths;
    final LayerCache[] layers;
    final AttentionBlock.StepBuffers[] attnStep;
    final FeedForwardBlock.Acts[] ffnStep;
    /**
     * The one-position shape the feed-forward blocks run on while decoding; every array of the cache is allocated
     * through it, so that {@link #close()} frees them all.
     */
    final Shape stepShape;
    final INDArray x;
    final INDArray norm;
    final INDArray rstd;
    final INDArray logits;
    /**
     * A decoding cache split by rows ({@link CausalLM#newDecodingCache}): part i holds rows [partStart[i],
     * partStart[i + 1]) and writes its logits into those rows of this cache's; this cache then holds no layers or
     * step buffers of its own. Null for an ordinary cache.
     */
    final KvCache[] parts;
    final int[] partStart;
    private final Ops ops;

    KvCache(ModelConfig c, DataType dtype, Ops ops, int batch, int capacity, DecoderLayer[] decoderLayers) {
        this(c, dtype, ops, batch, capacity, decoderLayers, null);
    }

    /** An ordinary cache whose logits are the given [batch, vocab] array (rows of a split cache's), or new. */
    private KvCache(ModelConfig c, DataType dtype, Ops ops, int batch, int capacity, DecoderLayer[] decoderLayers,
                    INDArray logitsRows) {
        this.ops = ops;
        this.parts = null;
        this.partStart = null;
        this.batch = batch;
        this.capacity = capacity;
        this.lengths = new int[batch];
        this.stepShape = new Shape(batch, 1, dtype);
        int n = decoderLayers.length;
        layers = new LayerCache[n];
        attnStep = new AttentionBlock.StepBuffers[n];
        ffnStep = new FeedForwardBlock.Acts[n];
        // step buffers are shared by layers of the same kind: only one layer runs at a time
        Map<Object, AttentionBlock.StepBuffers> attnShared = new HashMap<>();
        Map<Object, FeedForwardBlock.Acts> ffnShared = new HashMap<>();
        for (int l = 0; l < n; l++) {
            AttentionBlock a = decoderLayers[l].attention;
            FeedForwardBlock f = decoderLayers[l].mlp;
            layers[l] = a.newCache(stepShape, capacity);
            attnStep[l] = attnShared.computeIfAbsent(a.scratchKey(), k -> a.newStepBuffers(stepShape, capacity));
            ffnStep[l] = ffnShared.computeIfAbsent(f.scratchKey(), k -> f.newActs(stepShape));
        }
        x = stepShape.zeros(batch, c.hiddenSize);
        norm = stepShape.zeros(batch, c.hiddenSize);
        rstd = stepShape.zeros(batch);
        logits = logitsRows != null ? logitsRows : stepShape.zeros(batch, c.vocabSize);
    }

    /** A cache of batch rows split into parts of the given sizes, decoded concurrently (see {@link #parts}). */
    static KvCache split(ModelConfig c, DataType dtype, Ops ops, int capacity, DecoderLayer[] decoderLayers,
                         int[] partRows) {
        return new KvCache(c, dtype, ops, capacity, decoderLayers, partRows);
    }

    private KvCache(ModelConfig c, DataType dtype, Ops ops, int capacity, DecoderLayer[] decoderLayers,
                    int[] partRows) {
        this.ops = ops;
        this.capacity = capacity;
        this.partStart = new int[partRows.length + 1];
        for (int i = 0; i < partRows.length; i++) {
            partStart[i + 1] = partStart[i] + partRows[i];
        }
        this.batch = partStart[partRows.length];
        this.lengths = new int[batch];
        this.stepShape = new Shape(batch, 1, dtype);
        this.layers = null;
        this.attnStep = null;
        this.ffnStep = null;
        this.x = null;
        this.norm = null;
        this.rstd = null;
        this.logits = stepShape.zeros(batch, c.vocabSize);
        this.parts = new KvCache[partRows.length];
        for (int i = 0; i < parts.length; i++) {
            INDArray rows = logits.get(NDArrayIndex.interval(partStart[i], partStart[i + 1]), NDArrayIndex.all());
            parts[i] = new KvCache(c, dtype, ops, partRows[i], capacity, decoderLayers, rows);
        }
    }

    /** The part of a split cache that holds row b. */
    int partOf(int b) {
        int i = 0;
        while (b >= partStart[i + 1]) {
            i++;
        }
        return i;
    }

    /** After the parts decoded a step: their lengths are this cache's. */
    void gatherLengths() {
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i].lengths, 0, lengths, partStart[i], parts[i].batch);
        }
    }

    public int batchSize() {
        return batch;
    }

    public int capacity() {
        return capacity;
    }

    /** The parts this cache's rows are decoded in, each on its own core ({@link CausalLM#newDecodingCache}); 1 if whole. */
    public int parts() {
        return parts == null ? 1 : parts.length;
    }

    /** Tokens held for row b (prompt plus decoded tokens). */
    public int length(int b) {
        return lengths[b];
    }

    /**
     * Copies row {@code fromRow} of another cache (its cached tensors and length) into row {@code toRow} of
     * this one, so that a prompt prefilled once can be shared by several sampled continuations, and a batch
     * whose rows are mostly finished can be moved into a smaller cache. The caches must belong to models of
     * the same shape; their capacities may differ if the row fits. Logits are not copied.
     */
    public void copyRow(KvCache from, int fromRow, int toRow) {
        if (from.parts != null) {
            int i = from.partOf(fromRow);
            copyRow(from.parts[i], fromRow - from.partStart[i], toRow);
            return;
        }
        if (parts != null) {
            int i = partOf(toRow);
            parts[i].copyRow(from, fromRow, toRow - partStart[i]);
            lengths[toRow] = from.lengths[fromRow];
            return;
        }
        int len = from.lengths[fromRow];
        boolean same = layers.length == from.layers.length;
        for (int l = 0; same && l < layers.length; l++) {
            same = layers[l].sameShapeAs(from.layers[l]);
        }
        if (!same) {
            throw new IllegalArgumentException("copyRow between caches of different model shapes");
        }
        if (len > capacity) {
            throw new IllegalArgumentException("row of " + len + " tokens does not fit a cache of " + capacity);
        }
        for (int l = 0; l < layers.length; l++) {
            layers[l].copyRow(from.layers[l], fromRow, toRow, len, ops);
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
        if (parts != null) {
            for (KvCache p : parts) {
                p.reopen();
            }
        }
    }

    /**
     * Done with the cache, which must not be used after. Its off-heap memory is freed now rather than whenever
     * the garbage collector finds it (rollouts allocate a cache per batch, and waiting for the collector let
     * memory pile up), except on a backend that reuses caches ({@code Ops.reuseCaches}, a GPU): there the model
     * keeps it as a spare for its next cache of the same shape, since allocating, clearing and uploading
     * hundreds of MB of host memory per rollout batch cost more than the decoding itself.
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
        if (parts != null) {
            for (KvCache p : parts) {
                p.free();
            }
        }
        stepShape.release();
    }

    /** Bytes held by the cached tensors (keys and values, or latents and RoPE keys). */
    public long bytes() {
        if (parts != null) {
            return java.util.Arrays.stream(parts).mapToLong(KvCache::bytes).sum();
        }
        long n = 0;
        for (LayerCache l : layers) {
            n += l.bytes();
        }
        return n;
    }

    /** Cached bytes per token of one sequence, over all layers. */
    public long bytesPerToken() {
        if (parts != null) {
            return parts[0].bytesPerToken();
        }
        long n = 0;
        for (LayerCache l : layers) {
            n += l.bytesPerToken();
        }
        return n;
    }
}
