package org.align4j.policy.model;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every activation and gradient buffer for one padded batch shape, allocated once and reused by each
 * forward and backward pass of that shape (allocating ND4J arrays per op measured 5-20x slower here).
 */
final class Workspace {
    final Shape shape;
    final int[] positions;
    int[] ids;
    int[] targets;
    /** false at padding positions (set with ids for each pass). */
    boolean[] valid;
    /** The LoRA dropout pass of the forward pass that filled this workspace (-1: none), for its backward pass. */
    long loraPass = -1;
    final INDArray[] residual;
    final DecoderLayer.Acts[] layers;
    final INDArray finalHidden;
    final INDArray finalRstd;
    private final ModelConfig config;
    private final DecoderLayer[] decoderLayers;
    private INDArray logits;
    private INDArray chunkLogits;
    private INDArray logProb;
    private INDArray entropy;
    /** Rows per LM-head chunk of the last forward pass (rows of the whole grid when it was not chunked). */
    int headChunk;
    /** 1 / temperature of the last teacher-forced pass: the LM head's logits are scaled by it. */
    double headScale = 1.0;
    private DecoderLayer.Grads[] grads;
    private INDArray dResidual;
    private INDArray dFinal;
    private INDArray dLogProb;

    /**
     * With checkpointing, layers of one kind share one set of activation buffers: only each layer's input (the
     * residual stream) is kept for the backward pass, which recomputes the rest layer by layer.
     */
    final boolean checkpointing;
    /**
     * For a model that never runs a backward pass (a frozen reference): two residual buffers used in turn and one set
     * of activation buffers per kind of layer, whatever the sequence length; {@link #grads} refuses.
     */
    final boolean forwardOnly;

    Workspace(Shape shape, ModelConfig c, DecoderLayer[] decoderLayers, boolean checkpointing, boolean forwardOnly) {
        this.checkpointing = checkpointing;
        this.forwardOnly = forwardOnly;
        this.shape = shape;
        this.config = c;
        this.decoderLayers = decoderLayers;
        positions = new int[shape.rows];
        for (int b = 0; b < shape.batch; b++) {
            for (int t = 0; t < shape.seq; t++) {
                positions[b * shape.seq + t] = t;
            }
        }
        residual = new INDArray[c.numLayers + 1];
        layers = new DecoderLayer.Acts[c.numLayers];
        for (int l = 0; l <= c.numLayers; l++) {
            // a layer reads residual[l] and writes residual[l + 1]: two buffers in turn serve a forward-only pass
            residual[l] = forwardOnly && l >= 2 ? residual[l - 2] : shape.zeros(shape.rows, c.hiddenSize);
        }
        Map<Object, DecoderLayer.Acts> shared = new HashMap<>();
        for (int l = 0; l < c.numLayers; l++) {
            DecoderLayer d = decoderLayers[l];
            layers[l] = checkpointing || forwardOnly
                    ? shared.computeIfAbsent(d.actsKey(), k -> new DecoderLayer.Acts(shape, c, d))
                    : new DecoderLayer.Acts(shape, c, d);
        }
        finalHidden = shape.zeros(shape.rows, c.hiddenSize);
        finalRstd = shape.zeros(shape.rows);
    }

    /** Logits of the whole grid [rows, vocab]: allocated only when the LM head runs unchunked or they are asked for. */
    INDArray logits() {
        if (logits == null) {
            logits = shape.zeros(shape.rows, config.vocabSize);
        }
        return logits;
    }

    boolean holdsFullLogits() {
        return logits != null;
    }

    /** Logits of one chunk of rows [chunk, vocab], reused by every chunk of every pass of this shape. */
    INDArray chunkLogits(int chunk) {
        if (chunkLogits == null || chunkLogits.rows() != chunk) {
            chunkLogits = shape.zeros(chunk, config.vocabSize);
        }
        return chunkLogits;
    }

    INDArray logProb() {
        if (logProb == null) {
            logProb = shape.zeros(shape.rows);
            entropy = shape.zeros(shape.rows);
        }
        return logProb;
    }

    INDArray entropy() {
        logProb();
        return entropy;
    }

    /** Per-layer backward scratch; layers whose blocks are of the same kind and size share buffers. */
    DecoderLayer.Grads[] grads() {
        if (forwardOnly) {
            throw new IllegalStateException("a forward-only model (a frozen reference) has no backward pass");
        }
        if (grads == null) {
            INDArray dNorm = shape.zeros(shape.rows, config.hiddenSize);
            Map<Object, AttentionBlock.Grads> attn = new HashMap<>();
            Map<Object, FeedForwardBlock.Grads> ffn = new HashMap<>();
            grads = new DecoderLayer.Grads[decoderLayers.length];
            for (int l = 0; l < decoderLayers.length; l++) {
                AttentionBlock a = decoderLayers[l].attention;
                FeedForwardBlock f = decoderLayers[l].mlp;
                grads[l] = new DecoderLayer.Grads(dNorm, attn.computeIfAbsent(a.scratchKey(), k -> a.newGrads(shape)),
                        ffn.computeIfAbsent(f.scratchKey(), k -> f.newGrads(shape)));
            }
            dResidual = shape.zeros(shape.rows, config.hiddenSize);
            dFinal = shape.zeros(shape.rows, config.hiddenSize);
            dLogProb = shape.zeros(shape.rows);
        }
        return grads;
    }

    INDArray dResidual() {
        grads();
        return dResidual;
    }

    INDArray dFinal() {
        grads();
        return dFinal;
    }

    INDArray dLogProb() {
        grads();
        return dLogProb;
    }
}
