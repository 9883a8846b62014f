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
    private INDArray logProb;
    private INDArray entropy;
    private DecoderLayer.Grads[] grads;
    private INDArray dResidual;
    private INDArray dFinal;
    private INDArray dLogProb;

    Workspace(Shape shape, ModelConfig c, DecoderLayer[] decoderLayers) {
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
            residual[l] = shape.zeros(shape.rows, c.hiddenSize);
        }
        for (int l = 0; l < c.numLayers; l++) {
            layers[l] = new DecoderLayer.Acts(shape, c, decoderLayers[l]);
        }
        finalHidden = shape.zeros(shape.rows, c.hiddenSize);
        finalRstd = shape.zeros(shape.rows);
    }

    INDArray logits() {
        if (logits == null) {
            logits = shape.zeros(shape.rows, config.vocabSize);
            logProb = shape.zeros(shape.rows);
            entropy = shape.zeros(shape.rows);
        }
        return logits;
    }

    INDArray logProb() {
        logits();
        return logProb;
    }

    INDArray entropy() {
        logits();
        return entropy;
    }

    /** Per-layer backward scratch; layers whose blocks are of the same kind and size share buffers. */
    DecoderLayer.Grads[] grads() {
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
