package org.align4j.policy.model;

import org.align4j.policy.ops.RopeTable;

/**
 * The rotary tables of one model, as its rope scaling gives them. Every type but {@code dynamic} has one table.
 * {@code dynamic} picks the frequencies for each forward pass from its largest position (seqLen = max position
 * + 1, over the whole batch, as transformers' dynamic_rope_update does), so a pass longer than
 * max_position_embeddings uses the NTK-scaled base and a shorter one the plain frequencies. Unlike transformers,
 * which keeps the largest frequencies it has grown to until a pass shorter than max_position_embeddings resets
 * them, the choice depends only on the pass itself: the same tokens always give the same log-probs.
 */
final class RotaryEmbedding {
    private final ModelConfig config;
    private final RopeTable base;
    private RopeTable lastDynamic;
    private int lastSeqLen;

    RotaryEmbedding(ModelConfig config) {
        this.config = config;
        this.base = table(config.maxPositions);
    }

    private RopeTable table(int seqLen) {
        RopeScaling s = config.ropeScaling;
        return new RopeTable(s.inverseFrequencies(config.headDim, config.ropeTheta, config.maxPositions, seqLen),
                s.cosSinScale());
    }

    /** The table for a forward pass (or decoding step) over these positions. */
    RopeTable forPositions(int[] positions) {
        if (!config.ropeScaling.isDynamic()) {
            return base;
        }
        int max = 0;
        for (int p : positions) {
            max = Math.max(max, p);
        }
        int seqLen = max + 1;
        if (seqLen <= config.maxPositions) {
            return base;
        }
        synchronized (this) {
            // decoding asks for one length after another: keep the last table rather than one per length
            if (lastDynamic == null || lastSeqLen != seqLen) {
                lastDynamic = table(seqLen);
                lastSeqLen = seqLen;
            }
            return lastDynamic;
        }
    }
}
