package org.align4j.policy.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/**
 * The device memory a run will hold at its peak, worked out from the config before anything is allocated, so that
 * a run that cannot fit is refused at once instead of failing an hour in. It counts the buffers this engine keeps
 * (a device backend mirrors each of them once):
 * <ul>
 * <li>weights and their gradients (same type), AdamW's two moments; with bf16 (mixed precision), a 2-byte working
 * copy of the weights beside the float32 masters; with LoRA only the adapters are trained (gradients, moments and the
 * working copy are theirs) and the frozen base weights take 2 bytes each under bf16 (held in bf16 only);</li>
 * <li>the frozen reference model's weights when there is one (it never holds gradients on the device; 2 bytes a
 * weight with bf16), and the forward-only workspace of its log-prob passes (two residual buffers, one layer's
 * activations, the LM head chunk);</li>
 * <li>the KV cache of one sampling batch (rows x (prompt + completion) positions x layers; keys and values per kv
 * head, or MLA's latent and RoPE key) and its [rows, vocab] next-token logits;</li>
 * <li>the activations of one training micro-batch as {@link Workspace} allocates them: the residual stream of
 * every layer, each layer's activations (one layer's worth under gradient checkpointing; no [seq, seq]
 * probabilities under flash_attention_2), the backward scratch shared by all layers, and the LM head's logits
 * (whole batch, or one chunk).</li>
 * </ul>
 * Training buffers and KV caches are both kept between phases (cached for reuse), so the peak is their sum.
 * Temporary buffers of the backend (cuBLAS workspace, reductions) are not counted: leave a margin.
 */
public final class MemoryEstimate {
    /** What the estimate needs to know of the run. */
    public record Run(int bytesPerElement, int trainSequences, int trainLength, int sampleRows, int sampleLength,
                      boolean reference, boolean gradientCheckpointing, boolean flashAttention, int lmHeadChunkSize,
                      boolean bf16, long adapterParameters, boolean rolloutCopy) {
        /** Every weight of the config trained (no LoRA adapters). */
        public static final long NO_ADAPTERS = -1;

        /** Rollouts sample with the policy itself (no copy of its weights: GRPO without async_rollouts). */
        public Run(int bytesPerElement, int trainSequences, int trainLength, int sampleRows, int sampleLength,
                   boolean reference, boolean gradientCheckpointing, boolean flashAttention, int lmHeadChunkSize,
                   boolean bf16, long adapterParameters) {
            this(bytesPerElement, trainSequences, trainLength, sampleRows, sampleLength, reference,
                    gradientCheckpointing, flashAttention, lmHeadChunkSize, bf16, adapterParameters, false);
        }

        /** Full training (no adapters). */
        public Run(int bytesPerElement, int trainSequences, int trainLength, int sampleRows, int sampleLength,
                   boolean reference, boolean gradientCheckpointing, boolean flashAttention, int lmHeadChunkSize,
                   boolean bf16) {
            this(bytesPerElement, trainSequences, trainLength, sampleRows, sampleLength, reference,
                    gradientCheckpointing, flashAttention, lmHeadChunkSize, bf16, NO_ADAPTERS);
        }

        /** A float32 (or float64) run: no bf16 weights. */
        public Run(int bytesPerElement, int trainSequences, int trainLength, int sampleRows, int sampleLength,
                   boolean reference, boolean gradientCheckpointing, boolean flashAttention, int lmHeadChunkSize) {
            this(bytesPerElement, trainSequences, trainLength, sampleRows, sampleLength, reference,
                    gradientCheckpointing, flashAttention, lmHeadChunkSize, false);
        }
    }

    /** Bytes of a bf16 element. */
    public static final int BF16_BYTES = 2;

    public final long weights;
    /** The rollout worker's copy of the weights (async_rollouts), held as the policy holds its own. */
    public final long rolloutCopy;
    public final long gradients;
    public final long optimizer;
    public final long reference;
    public final long kvCache;
    public final long activations;
    public final long logits;

    private MemoryEstimate(long weights, long rolloutCopy, long gradients, long optimizer, long reference,
                           long kvCache, long activations, long logits) {
        this.weights = weights;
        this.rolloutCopy = rolloutCopy;
        this.gradients = gradients;
        this.optimizer = optimizer;
        this.reference = reference;
        this.kvCache = kvCache;
        this.activations = activations;
        this.logits = logits;
    }

    public long total() {
        return weights + rolloutCopy + gradients + optimizer + reference + kvCache + activations + logits;
    }

    public static MemoryEstimate of(ModelConfig c, Run r) {
        long e = r.bytesPerElement();
        long p = c.parameterCount();
        long kv = kvCacheElements(c, r.sampleRows(), r.sampleLength())
                + (long) r.sampleRows() * c.vocabSize; // next-token logits of a decoding step
        long rows = (long) r.trainSequences() * r.trainLength();
        LmHead head = new LmHead(null, null, c.vocabSize, c.hiddenSize);
        head.setChunkSize(r.lmHeadChunkSize());
        int chunk = head.chunkRows(Math.toIntExact(rows));
        long logits = (long) chunk * c.vocabSize;
        // with adapters the config's weights are frozen and only the adapters are trained
        boolean lora = r.adapterParameters() >= 0;
        long trained = lora ? r.adapterParameters() : p;
        long frozen = lora ? p : 0;
        long weights = trained * e + (r.bf16() ? trained * BF16_BYTES : 0) + frozen * (r.bf16() ? BF16_BYTES : e);
        // a separate reference model keeps its own forward workspace (and LM head chunk) beside its weights
        long reference = r.reference() ? p * (r.bf16() ? BF16_BYTES : e)
                + (forwardElements(c, r) + logits) * e + moeIndexBytes(c, r, true) : 0;
        return new MemoryEstimate(weights, r.rolloutCopy() ? weights : 0, trained * e, 2 * trained * e, reference, kv * e,
                activationElements(c, r) * e + moeIndexBytes(c, r), logits * e);
    }

    static long kvCacheElements(ModelConfig c, long rows, long length) {
        long perTokenLayer = c.mla != null ? c.mla.cachedDimsPerToken() : 2L * c.numKvHeads * c.headDim;
        return rows * length * c.numLayers * perTokenLayer;
    }

    /** Elements of the training workspace of one micro-batch, buffer by buffer as the model allocates them. */
    static long activationElements(ModelConfig c, Run r) {
        return workspaceElements(c, r, true);
    }

    /**
     * Elements of a forward-only model's workspace of one micro-batch (a separate reference model's log-prob passes,
     * {@link CausalLM#setForwardOnly}): two residual buffers, one layer's activations per kind of layer, the final
     * norm, log-probs and entropies.
     */
    static long forwardElements(ModelConfig c, Run r) {
        return workspaceElements(c, r, false);
    }

    private static long workspaceElements(ModelConfig c, Run r, boolean backward) {
        long b = r.trainSequences();
        long t = r.trainLength();
        long rows = b * t;
        long d = c.hiddenSize;
        boolean flash = r.flashAttention();
        int moeLayers = 0;
        for (int l = 0; l < c.numLayers; l++) {
            if (c.moe != null && c.moe.isMoeLayer(l)) {
                moeLayers++;
            }
        }
        int denseLayers = c.numLayers - moeLayers;
        long norms = rows * (3 * d + 2); // norm1, rstd1, mid, norm2, rstd2
        long attn = attention(c, b, t, flash, false);
        long dense = norms + attn + feedForward(c, rows, false, false);
        long moe = moeLayers > 0 ? norms + attn + feedForward(c, rows, true, false) : 0;
        // checkpointing (and a forward-only model) keeps one set of buffers per kind of layer (dense, MoE)
        long oneSetPerKind = (denseLayers > 0 ? dense : 0) + (moeLayers > 0 ? moe : 0);
        long finalNorm = rows * d + rows // final norm output and its rstd
                + 2 * rows; // log-probs and entropies
        if (!backward) {
            return 2 * rows * d + oneSetPerKind + finalNorm; // two residual buffers in turn
        }
        long acts = r.gradientCheckpointing() ? oneSetPerKind : denseLayers * dense + moeLayers * moe;
        long trunk = (c.numLayers + 1L) * rows * d + finalNorm; // the residual stream of every layer
        // backward scratch: one per kind of block, shared by all layers, plus dNorm
        long grads = attention(c, b, t, flash, true) + rows * d
                + (denseLayers > 0 ? feedForward(c, rows, false, true) : 0)
                + (moeLayers > 0 ? feedForward(c, rows, true, true) : 0);
        return trunk + 2 * rows * d + rows // dResidual, dFinal, dLogProb
                + acts + grads;
    }

    /**
     * The INT32 buffers of the MoE layers' routing (expert ids [rows, k], the permutation and its inverse [rows * k],
     * the per-expert offsets): one set per MoE layer, or one in all with gradient checkpointing.
     */
    static long moeIndexBytes(ModelConfig c, Run r) {
        return moeIndexBytes(c, r, r.gradientCheckpointing());
    }

    /** The same, for a workspace with one set of buffers for all MoE layers (oneSet) or one per layer. */
    static long moeIndexBytes(ModelConfig c, Run r, boolean oneSet) {
        if (c.moe == null) {
            return 0;
        }
        int moeLayers = 0;
        for (int l = 0; l < c.numLayers; l++) {
            if (c.moe.isMoeLayer(l)) {
                moeLayers++;
            }
        }
        if (moeLayers == 0) {
            return 0;
        }
        long rows = (long) r.trainSequences() * r.trainLength();
        long perLayer = 4L * (3 * rows * c.moe.numExpertsPerTok() + c.moe.nRoutedExperts() + 1);
        return (oneSet ? 1 : moeLayers) * perLayer;
    }

    /** An attention block's activations (grads false) or backward scratch (grads true). */
    private static long attention(ModelConfig c, long b, long t, boolean flash, boolean grads) {
        long rows = b * t;
        long scores = b * c.numHeads * t * t;
        if (c.mla != null) {
            MlaConfig m = c.mla;
            long h = c.numHeads;
            long q = h * m.qkHeadDim();
            long kvb = h * (m.qkNopeHeadDim() + m.vHeadDim());
            long v = h * m.vHeadDim();
            long rank = m.kvLoraRank();
            long qr = m.qLoraRank();
            // fused, the grouped q, o (and their gradients) give way to key and value rows of the same sizes, and
            // one log-sum-exp per query and head replaces the [seq, seq] probabilities
            if (grads) {
                // dORows, dOg, dQg, dKg, dVg, dq, dkv, dcNorm, dc, dckv, (dqaNorm, dqa), dScores
                // (fused: dORows, dKg, dVg, dq, dkv, dcNorm, dc, dckv, (dqaNorm, dqa), dkRows, dvRows)
                return rows * (v + v + q + q + v + q + kvb + 2 * rank + m.cachedDimsPerToken() + 2 * qr)
                        + (flash ? 0 : scores);
            }
            // (qa, qaRstd, qaNorm), q, ckv, c, cRstd, cNorm, kv, kRope, qg, kg, vg, og, oRows, probs
            // (fused: ..., kRope, kg, vg, oRows, kRows, vRows, lse)
            return rows * ((qr > 0 ? 2 * qr + 1 : 0) + q + m.cachedDimsPerToken() + 2 * rank + 1 + kvb
                    + m.qkRopeHeadDim() + q + q + v + v + v) + (flash ? b * h * t : scores);
        }
        long qw = (long) c.numHeads * c.headDim;
        long kvw = (long) c.numKvHeads * c.headDim;
        if (flash) {
            // q, k, v, o rows (+ one log-sum-exp per query and head); grads: dO, dq, dk, dv rows
            return grads ? rows * (2 * qw + 2 * kvw) : rows * (2 * qw + 2 * kvw + c.numHeads);
        }
        // rows and grouped layouts of q, k, v, o and the [seq, seq] probabilities (or their gradients)
        return rows * (4 * qw + 4 * kvw) + scores;
    }

    /** A feed-forward block's activations or backward scratch (the same sizes). */
    private static long feedForward(ModelConfig c, long rows, boolean moeLayer, boolean grads) {
        if (!moeLayer) {
            return 3 * rows * c.intermediateSize; // gate, up, silu(gate) * up
        }
        MoeConfig m = c.moe;
        long slots = rows * m.numExpertsPerTok();
        long w = m.moeIntermediateSize();
        // logits, scores and the chosen weights (or their gradients), then the packed expert rows
        return 2 * rows * m.nRoutedExperts() + slots + slots * (2L * c.hiddenSize + 3 * w)
                + (m.nSharedExperts() > 0 ? 3 * rows * w * m.nSharedExperts() : 0);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) (1L << 30));
    }

    /** "weights 2.9 + gradients 2.9 + ..." in GiB. */
    public String breakdown() {
        return "weights " + gib(weights) + (rolloutCopy > 0 ? " + rollout copy " + gib(rolloutCopy) : "")
                + " + gradients " + gib(gradients) + " + AdamW " + gib(optimizer)
                + " + reference " + gib(reference) + " + KV cache " + gib(kvCache) + " + activations "
                + gib(activations) + " + LM head logits " + gib(logits) + " GiB";
    }

    /**
     * Refuses a run whose estimate exceeds the device's memory (deviceBytes <= 0: no device, nothing checked),
     * naming the settings that would shrink the largest parts.
     */
    public void requireFits(long deviceBytes, Run r) {
        if (deviceBytes <= 0 || total() <= deviceBytes) {
            return;
        }
        List<String> advice = new ArrayList<>();
        if (kvCache >= activations) {
            advice.add("fewer completions per step (batch_size x gradient_accumulation_steps) or a shorter "
                    + "max_completion_length / max_prompt_length");
        }
        if (!r.gradientCheckpointing()) {
            advice.add("gradient_checkpointing: true");
        }
        if (!r.flashAttention()) {
            advice.add("attn_implementation: flash_attention_2");
        }
        if (activations > 0) {
            advice.add("a smaller batch_size (raise gradient_accumulation_steps)");
        }
        if (r.lmHeadChunkSize() == 0) {
            advice.add("lm_head_chunk_size: -1");
        }
        if (r.reference() && !r.bf16()) {
            advice.add("bf16: true (a bf16 reference model)");
        }
        if (r.reference()) {
            advice.add("beta: 0 (no reference model)");
        }
        if (r.rolloutCopy()) {
            advice.add("async_rollouts: false (rollouts from the policy itself, no copy of its weights)");
        }
        throw new BadInputException("estimated peak GPU memory " + gib(total()) + " GiB (" + breakdown()
                + ") exceeds the device's " + gib(deviceBytes) + " GiB: try " + String.join(", ", advice));
    }
}
