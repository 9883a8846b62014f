package org.align4j.policy.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The feed-forward half of a {@link DecoderLayer}: a dense SwiGLU ({@link SwiGluMlp}) or DeepSeekMoE
 * ({@link MoeFeedForward}). Decoding uses {@link #forward} on a one-position shape.
 */
interface FeedForwardBlock {

    /** What one layer's forward pass keeps for its backward pass (also a decoding step's buffers). */
    interface Acts {
    }

    /** Gradient scratch of one batch shape, shared by the layers whose blocks have equal {@link #scratchKey()}. */
    interface Grads {
    }

    /** Blocks with equal keys can share {@link Grads} and decoding buffers (same kind and sizes). */
    Object scratchKey();

    Acts newActs(Shape s);

    Grads newGrads(Shape s);

    /**
     * residual += ffn(x) over s.rows rows; valid[n] is false for padding (and inactive decoding rows), whose
     * output is not used; null means all rows are valid.
     */
    void forward(Shape s, INDArray x, Acts a, INDArray residual, boolean[] valid);

    /** Given dOut = d(loss)/d(block output), accumulates parameter gradients and writes dx. */
    void backward(Shape s, INDArray x, Acts a, Grads g, INDArray dOut, INDArray dx);
}
