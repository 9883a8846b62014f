package org.align4j.policy.ops;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The tensor operations the policy engine is written against. Model code calls only these (and ND4J
 * allocation), so another backend (a GPU one) can replace {@link CpuOps}. Every array argument must be
 * contiguous in C order; float32 and float64 are supported, and all arguments of one call share a type.
 * Outputs are preallocated by the caller: nothing here allocates per call.
 */
public interface Ops {

    /**
     * c = alpha * op(a) @ op(b) + beta * c for 2-D arrays. When a or b is held in bf16 ({@link #holdInBf16}), a device
     * backend multiplies bf16 inputs (the other operand rounded to bf16) with float32 accumulation and output.
     */
    void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta);

    /** c[i] = op(a[i]) @ op(b[i]) for 3-D arrays (batched over the first dimension); c is overwritten. */
    void bmm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB);

    /** out[n, :] = table[ids[n], :]. */
    void embeddingForward(int[] ids, INDArray table, INDArray out);

    /** dTable[ids[n], :] += dOut[n, :]. */
    void embeddingBackward(int[] ids, INDArray dOut, INDArray dTable);

    /** out = x / rms(x) * w per row; rstd[n] = 1 / rms(x[n]) is kept for the backward pass. */
    void rmsNormForward(INDArray x, INDArray w, INDArray out, INDArray rstd, double eps);

    /** dx += d(out)/dx^T dOut; dw += d(out)/dw^T dOut. */
    void rmsNormBackward(INDArray dOut, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw);

    /** y[n, :] += b (bias broadcast over rows). */
    void addBias(INDArray y, INDArray b);

    /** db += sum over rows of dy. */
    void biasBackward(INDArray dy, INDArray db);

    /**
     * Rotary position embedding in place on x [rows, heads, headDim] (rotate-half layout, as Hugging Face
     * Llama): row n is at position positions[n]. inverse = true applies the transpose rotation, which is
     * the backward pass.
     */
    void rope(INDArray x, int[] positions, RopeTable table, boolean inverse);

    /**
     * Moves [batch, seq, heads, headDim] (rows of the projection output) into the grouped attention layout
     * [batch * kvHeads, group * seq, headDim], query head h = kvHead * group + g (Hugging Face repeat_kv),
     * or back when toGrouped is false.
     */
    void regroupHeads(INDArray rows, INDArray grouped, int batch, int seq, int kvHeads, int group, boolean toGrouped);

    /**
     * In place on scores [batch * kvHeads, group * seq, seq]: scale, causal mask (key j visible to query
     * position t when j <= t) and softmax over the last dimension.
     */
    void causalSoftmax(INDArray scores, int seq, double scale);

    /** In place: dScores = p * (dP - rowsum(dP * p)) * scale, where dScores arrives holding dP. */
    void softmaxBackward(INDArray p, INDArray dScores, double scale);

    /**
     * Causal attention that never materialises [seq, seq] scores (FlashAttention-2's online softmax). q [batch *
     * seq, heads * headDim], k [batch * seq, kvHeads * headDim] and v [batch * seq, kvHeads * valueDim] are
     * projection rows (RoPE applied; valueDim = headDim but for DeepSeek's latent attention, 128 against 192); query
     * head h reads key/value head h / (heads / kvHeads), so grouped-query attention copies no keys. Row b has
     * lengths[b] real positions (batch = lengths.length): query t < lengths[b] attends keys j <= t with softmax
     * over scale * q.k; padded queries get out = 0. out [batch * seq, heads * valueDim] is overwritten, and lse
     * [batch * heads * seq] receives each query's log-sum-exp of the scaled scores (0 for padding), which the
     * backward pass needs.
     */
    void flashAttentionForward(INDArray q, INDArray k, INDArray v, int[] lengths, int seq, double scale, INDArray out,
                               INDArray lse);

    /**
     * The backward pass of {@link #flashAttentionForward} (FlashAttention-2: probabilities recomputed from lse,
     * D = rowsum(dOut * out)). dq, dk and dv (shaped as q, k, v) are overwritten; padded positions get 0.
     */
    void flashAttentionBackward(INDArray q, INDArray k, INDArray v, INDArray out, INDArray lse, INDArray dOut,
                                int[] lengths, int seq, double scale, INDArray dq, INDArray dk, INDArray dv);

    /** h = silu(gate) * up. */
    void swiGluForward(INDArray gate, INDArray up, INDArray h);

    /** dGate = dh * up * silu'(gate), dUp = dh * silu(gate) (overwritten). */
    void swiGluBackward(INDArray dh, INDArray gate, INDArray up, INDArray dGate, INDArray dUp);

    /**
     * Per row of logits [rows, vocab]: logProb[n] = log softmax(logits[n])[targets[n]] and
     * entropy[n] = -sum p log p; rows whose target is negative get 0 for both.
     */
    void logProbsAndEntropy(INDArray logits, int[] targets, INDArray logProb, INDArray entropy);

    /**
     * In place: logits[n, :] becomes dLogProb[n] * (onehot(targets[n]) - softmax(logits[n])), the gradient
     * of sum_n dLogProb[n] * logProb[n]; rows whose target is negative become 0.
     */
    void logProbsBackward(INDArray logits, int[] targets, INDArray dLogProb);

    /** dst = src. */
    void copy(INDArray src, INDArray dst);

    /** y += x. */
    void addInPlace(INDArray y, INDArray x);

    /** x = 0. */
    void zero(INDArray x);

    /** x *= s. */
    void scale(INDArray x, double s);

    /** sum of x^2 (for the global gradient norm). */
    double sumSquares(INDArray x);

    /** true when any element is NaN or infinite. */
    boolean hasNonFinite(INDArray x);

    /**
     * One decoupled-weight-decay Adam step (Loshchilov and Hutter) in place on param, with moment buffers
     * m and v and bias correction for step t (1-based).
     */
    void adamW(INDArray param, INDArray grad, INDArray m, INDArray v, double lr, double beta1, double beta2,
               double eps, double weightDecay, long t);

    /**
     * Writes key or value rows [batch * seq, kvHeads * headDim] into cache [batch, kvHeads, capacity,
     * headDim] at positions startPos[b] + t; rows with a negative start are skipped.
     */
    void writeKv(INDArray rows, INDArray cache, int batch, int seq, int[] startPos);

    /**
     * One decoding step of attention: q [batch, heads * headDim] (one new token per row) against the first
     * lengths[b] cached positions of row b; rows with length 0 are skipped. scratch holds at least capacity
     * elements.
     */
    void decodeAttention(INDArray q, INDArray kCache, INDArray vCache, int[] lengths, INDArray out, int group,
                         double scale, INDArray scratch);

    // ------------------------------------------------------------------ DeepSeek (MLA and MoE)

    /**
     * Strided copy between projection rows [batch * seq, rowWidth] and a per-head layout [batch * heads, seq,
     * headWidth] (heads = heads.length / (batch * seq * headWidth)): for row n = b * seq + t and head h,
     * heads[b * H + h, t, headCol + j] and rows[n, rowCol + h * rowHeadStride + j] for j in [0, width).
     * toHeads copies rows into heads; otherwise it adds heads into rows, so that a rowHeadStride of 0 (one row
     * segment broadcast to every head, MLA's shared RoPE key) receives the sum over heads in the backward pass.
     */
    void gatherHeads(INDArray rows, int rowCol, int rowHeadStride, INDArray heads, int headCol, int width,
                     int batch, int seq, boolean toHeads);

    /**
     * Rotary embedding in place on part of each head: x [rows, heads * headStride], row n at position
     * positions[n]; in every head the table's dims starting at column col are rotated, as adjacent pairs
     * (2i, 2i + 1) when interleaved (DeepSeek's layout) or as halves (Llama's). inverse = true applies the
     * transpose rotation (the backward pass).
     */
    void ropeSlice(INDArray x, int[] positions, RopeTable table, int headStride, int col, boolean interleaved,
                   boolean inverse);

    /** dst[i, :] = scales[i] * src[rows[i], :] for i in [0, rows.length) (scales null: 1). */
    void gatherRows(INDArray src, int[] rows, double[] scales, INDArray dst);

    /** dst[rows[i], :] += scales[i] * src[i, :] for i in [0, rows.length) (scales null: 1). */
    void scatterAddRows(INDArray src, int[] rows, double[] scales, INDArray dst);

    /**
     * Inverted dropout with a mask that is a pure function of (seed, element index): out[i] = x[i] / (1 - p) where
     * the element is kept, 0 where dropped (element i is dropped when a 53-bit hash of seed and i, read as a
     * uniform in [0, 1), is below p). x and out may be the same array. Calling it twice with the same seed drops
     * the same elements, so a backward pass re-creates its forward pass's mask instead of storing it.
     */
    void dropout(INDArray x, INDArray out, double p, long seed);

    /** out[i] = a[rows[i], :] . b[i, :] for i in [0, rows.length), returned on the host. */
    double[] gatheredRowDots(INDArray a, int[] rows, INDArray b);

    /**
     * One decoding step of multi-head latent attention over a compressed cache. qLatent [heads, batch, rank] are
     * the no-RoPE query parts already multiplied into the latent space (W_uk absorbed), qRope [heads, batch,
     * ropeDim] the rotated parts; latentCache [batch, 1, capacity, rank] and ropeCache [batch, 1, capacity,
     * ropeDim] hold every head's shared keys. Score of position j: scale * (qLatent . latent_j + qRope . rope_j),
     * softmax over the first lengths[b] positions; out [heads, batch, rank] = sum_j p_j latent_j (W_uv is
     * applied by the caller). Rows with length 0 are skipped.
     */
    void latentDecodeAttention(INDArray qLatent, INDArray qRope, INDArray latentCache, INDArray ropeCache,
                               int[] lengths, INDArray out, double scale);

    /**
     * Copies the first len positions of row srcRow of a KV cache src [batch, kvHeads, capacity, headDim]
     * into row dstRow of dst (same heads and head size; the capacities may differ). An op rather than a host
     * copy so that a device backend copies between its own buffers.
     */
    void copyCacheRow(INDArray src, int srcRow, INDArray dst, int dstRow, int len);

    /**
     * Draws one token for each row r < rows of logits [>= rows, vocab], as a sampler without top-k or top-p
     * does: logits are read as float32, weights w_j = exp((l_j - max) * invTemperature), and the pick is the
     * first j (in vocabulary order) at which the running sum of weights exceeds uniforms[r] * sum(w); when
     * greedy, the first argmax (uniforms unused). Writes tokens[r] and logProbs[r] = log softmax(logits[r] *
     * invTemperature) at the pick. An op so that a device backend samples where the logits are and sends back
     * only the picks, not [rows, vocab] floats per decoding step.
     */
    void sampleRows(INDArray logits, int rows, double invTemperature, boolean greedy, double[] uniforms, int[] tokens,
                    double[] logProbs);

    // ------------------------------------------------------------------ DeepSeekMoE routing and grouped experts
    // Expert ids, permutations and offsets are INT32 arrays, so that a device backend keeps them where the
    // experts run; the routing arithmetic is done in double on both backends.

    /**
     * DeepSeekMoE gating of logits [rows, experts]: scores [rows, experts] = sigmoid or softmax of the logits
     * (overwritten for every row); then for each valid row (valid null: all) the k experts with the highest
     * score + bias (bias [experts], e_score_correction_bias, or null), among the gate's topkGroup best groups when
     * group-limited (the others compete with 0, as transformers' masked_fill; the lower index first among equals),
     * into topExpert [rows, k] (INT32, descending order), and their weights into topWeight [rows, k]: the unbiased
     * scores, divided by their sum + 1e-20 when normTopkProb, times the scaling. Invalid rows get expert -1 and
     * weight 0. When replay is true, topExpert is an input (the experts chosen before) and only scores and weights
     * are written, except on valid rows given expert -1, which choose as without replay.
     */
    void moeRoute(INDArray logits, INDArray bias, MoeGate gate, boolean[] valid, boolean replay, INDArray scores,
                  INDArray topExpert, INDArray topWeight);

    /**
     * The backward pass of {@link #moeRoute} (which experts were chosen is a constant): dLogits [rows, experts]
     * (overwritten) from dTopWeight [rows, k] and, when not null, a gradient dScores [rows, experts] that other
     * terms (the balance loss) put on the scores directly.
     */
    void moeRouteBackward(INDArray scores, INDArray topExpert, INDArray dTopWeight, INDArray dScores, MoeGate gate,
                          INDArray dLogits);

    /**
     * Sorts the (row, choice) pairs of topExpert [rows, k] (INT32; -1 entries are skipped) by expert, stably, so that
     * each expert's tokens are contiguous: order [rows * k] receives for slot i the flat index row * k + j of its
     * pair, slotOf [rows * k] the inverse (-1 for skipped pairs), and offsets [experts + 1] (its own array) the
     * first slot of each expert and the number of slots at the end. All INT32, overwritten. The backend leaves the
     * offsets where its ops read them; a caller that needs them on the host calls {@link #toHost} (one small copy).
     */
    void moeSortByExpert(INDArray topExpert, int experts, INDArray order, INDArray slotOf, INDArray offsets);

    /**
     * dst[i, :] = w * src[order[i] / k, :] for the first slots rows of dst, w = weight.flat[order[i]] or 1 when
     * weight is null: each slot's token row, packed by expert.
     */
    void moeGather(INDArray src, INDArray order, int k, INDArray weight, int slots, INDArray dst);

    /**
     * dst[r, :] += sum over j with slotOf[r * k + j] >= 0 of w * src[slotOf[r * k + j], :], w = weight[r, j] or 1
     * when weight is null (k = slotOf.length / dst rows): the experts' outputs back to their tokens, in a fixed
     * order per row (no atomics: deterministic).
     */
    void moeCombine(INDArray src, INDArray slotOf, INDArray weight, INDArray dst);

    /**
     * dWeight[r, j] = dOut[r, :] . src[slotOf[r * k + j], :] (0 where slotOf is -1), overwritten: the gradient of the
     * routing weights of {@link #moeCombine}.
     */
    void moeCombineWeightGrad(INDArray dOut, INDArray src, INDArray slotOf, INDArray dWeight);

    /**
     * Holds a float32 weight matrix (a whole buffer, not a view) in bf16 for the matrix products and embedding lookups
     * that read it (mixed precision, {@code bf16: true}). frozen (trainable false: a reference model, LoRA's base):
     * the values are rounded to bf16 in place, on the host too, so that every backend and a saved checkpoint hold the
     * same numbers; a device backend keeps only a bf16 copy (half the bytes of float32), which ops read and never
     * write (an op that would write it, or cannot read bf16, throws), and host edits ({@link #editOnHost}) are rounded
     * again. trainable: the array stays the float32 master weight that gradients and the optimizer update; a device
     * backend keeps a bf16 working copy beside it, refreshed after each write, for the products that read the weight.
     * The CPU backend computes in float32 either way (frozen weights rounded, trainable ones exact).
     */
    void holdInBf16(INDArray weight, boolean trainable);

    /**
     * Mixed precision for the products whose operands are both float32 arrays (activations, gradients: a weight
     * gradient X^T dY, attention's products) and for fused attention: bf16 inputs with float32 accumulation, as
     * PyTorch's bf16 autocast runs them ({@code bf16: true} turns it on for the run, with {@link #holdInBf16} for the
     * weights). A device backend only; the CPU backend keeps these products in float32, its arrays unchanged.
     */
    default void useBf16Products(boolean on) {
    }

    /**
     * For per-operation profiles ({@link ProfilingOps}): a device backend that queues work waits for each op to
     * finish before returning, and replays no step graphs, so that an op's wall time is its own. Nothing on the CPU.
     */
    default void waitAfterEachOp(boolean on) {
    }

    /**
     * Fills a float32 weight (a whole buffer, not a view, with weight.length() == source.elements()) with a bf16
     * checkpoint tensor's values, widened exactly, reading the source in chunks of at most
     * {@link Bf16Source#CHUNK_ELEMENTS} values, so that loading never builds a float32 copy of a tensor beside the
     * weight. The host copy receives the widened values on every backend (the model keeps float32 host copies). A
     * device backend also sends the bf16 bytes themselves to a weight it already holds (one {@link #holdInBf16} was
     * called for before the load): as they are into a frozen weight's bf16-only copy, widened on the device into a
     * trainable weight's float32 copy; both copies are then current. Any other weight is uploaded when an op first
     * reads it, as a new array is.
     */
    void loadBf16(INDArray weight, Bf16Source source);

    /**
     * Draws the next token of each row r < rows of logits [>= rows, vocab] from one caller-supplied uniform per row
     * (so that every backend picks the same tokens for the same draws), as Hugging Face's logits warpers in their
     * order: logits are read as float32, divided by the temperature, and then
     * <ul>
     *   <li>greedy: the first argmax (uniforms unused, top-k/top-p ignored);</li>
     *   <li>no truncation (topK 0 or >= vocab, topP >= 1): the first j in vocabulary order at which the running
     *       sum of w_j = exp((l_j - max) * invTemperature) exceeds uniforms[r] * sum(w) (as {@link #sampleRows});</li>
     *   <li>truncated: tokens ranked by (float) w_j descending, ties to the lower id; top-k keeps the first topK;
     *       top-p then keeps the shortest prefix whose mass reaches topP times the mass top-k kept (all of the
     *       vocabulary without top-k), at least one token; the pick is the first kept token at which the running
     *       sum, in rank order, exceeds uniforms[r] times the kept mass (the last kept when rounding leaves none).</li>
     * </ul>
     * Sums of w are in float64. Writes tokens[r] and logProbs[r] = log softmax(logits[r] * invTemperature) at the
     * pick (over the whole vocabulary: the log-prob a teacher-forced pass recomputes). A device backend reads the
     * logits where they are and sends back only tokens and log-probs.
     */
    void sampleTokens(INDArray logits, int rows, double invTemperature, boolean greedy, int topK, double topP,
                      double[] uniforms, int[] tokens, double[] logProbs);

    /**
     * Runs step, a sequence of ops that the caller repeats with the same arrays (a decoding step of one KV cache,
     * named by key), whose index arrays inputs (token ids, positions, lengths) are new every repeat. A device backend
     * may replay the step's launches as one captured graph instead of issuing them one by one (the CUDA backend
     * does, unless ALIGN4J_CUDA_GRAPHS=0), so step must not read results on the host, and must pass inputs to the
     * ops as given (their contents are read again at every repeat, the arrays themselves only during the call).
     * The results are those of step.run(), which is what the CPU backend does.
     */
    void repeatedStep(Object key, Runnable step, int[]... inputs);

    /**
     * Into how many parts a decoding batch of this many rows is split, each part decoded end to end on a core of its
     * own ({@link #inParts}): 1, the default, decodes the batch as one (a GPU). The CPU backend splits batches of
     * 8 rows or more over its cores: a decode step's kernels are small (tens of rows), and a batch run kernel by
     * kernel, each split over the cores, spent much of its time handing work between threads.
     */
    default int decodeParts(int rows) {
        return 1;
    }

    /**
     * Runs body for parts 0..parts-1, concurrently where the backend can, each part's own kernels on the one thread
     * that runs it (not split further). The default runs them one after the other.
     */
    default void inParts(int parts, java.util.function.IntConsumer body) {
        for (int i = 0; i < parts; i++) {
            body.accept(i);
        }
    }

    /**
     * Whether a model should keep closed KV caches for reuse rather than free them: true where making a cache
     * costs more than the memory it keeps (a device backend allocates, clears and uploads host arrays it never
     * reads). The CPU backend frees them at once.
     */
    default boolean reuseCaches() {
        return false;
    }

    /**
     * Makes the host (ND4J) copy of x current before code outside this interface reads it. A backend that
     * keeps arrays in device memory downloads here; the CPU backend has nothing to do.
     */
    default void toHost(INDArray x) {
    }

    /**
     * Runs edit, which writes the host (ND4J) copies of the given arrays, with the backend keeping its own copies
     * consistent: their host copies are made current first (as {@link #toHost}) and are the newer ones after,
     * even when edit throws. The only way for code outside this interface to write an array that an op may have
     * seen; reading needs only {@link #toHost}, and an array no op has seen yet (a new one) needs nothing.
     */
    default void editOnHost(Runnable edit, INDArray... arrays) {
        edit.run();
    }

    /** Total memory of the device the arrays live on, for the memory estimate; -1 for the host (not checked). */
    long deviceMemoryBytes();

    /** Short name of the backend, for logs and benchmarks ("cpu", "cuda"). */
    default String name() {
        return "cpu";
    }

    /** The operations of the default (CPU) backend. */
    static Ops cpu() {
        return CpuOps.INSTANCE;
    }

    /** The backend new models use: the CPU unless {@link Backends#use} chose another. */
    static Ops current() {
        return Backends.current();
    }
}
