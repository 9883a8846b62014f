package org.align4j.policy.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The token-mixing half of a {@link DecoderLayer}: grouped-query attention ({@link Attention}) or multi-head
 * latent attention ({@link LatentAttention}). Buffers are created by the block and owned by the model's
 * workspaces and caches, so that nothing is allocated per pass.
 */
interface AttentionBlock {

    /** What one layer's forward pass keeps for its backward pass. */
    interface Acts {
    }

    /** Gradient scratch of one batch shape, shared by the layers whose blocks have equal {@link #scratchKey()}. */
    interface Grads {
    }

    /** Buffers of one decoding step, shared like {@link Grads}. */
    interface StepBuffers {
    }

    /** Blocks with equal keys can share {@link Grads} and {@link StepBuffers} (same kind and sizes). */
    Object scratchKey();

    /**
     * Fused attention for teacher-forced passes ({@link org.align4j.policy.ops.Ops#flashAttentionForward}, which
     * keeps no [seq, seq] probabilities) or the unfused path; buffers made for the other one must not be reused.
     */
    void setFused(boolean on);

    Acts newActs(Shape s);

    Grads newGrads(Shape s);

    /** Buffers of a decoding step of step.batch rows, allocated through step (which frees them). */
    StepBuffers newStepBuffers(Shape step, int capacity);

    /** This layer's part of a KV cache for step.batch rows of up to capacity positions, allocated through step. */
    LayerCache newCache(Shape step, int capacity);

    /**
     * residual += attention(x) over [batch, seq] rows (row n at position positions[n]). With a cache (prefill),
     * what decoding needs of every position is also written into it from cacheStart[b].
     */
    void forward(Shape s, INDArray x, int[] positions, Acts a, INDArray residual, LayerCache cache,
                 int[] cacheStart);

    /** Given dOut = d(loss)/d(attention output), accumulates parameter gradients and writes dx. */
    void backward(Shape s, INDArray x, int[] positions, Acts a, Grads g, INDArray dOut, INDArray dx);

    /**
     * One decoding step: x [batch, hidden] are the new tokens (row b at positions[b]); their cache entries are
     * written at start[b] (rows with a negative start are inactive), attention sees the first visible[b]
     * positions, and residual += attention output.
     */
    void decode(INDArray x, INDArray residual, int[] positions, int[] start, int[] visible, LayerCache cache,
                StepBuffers b);
}
