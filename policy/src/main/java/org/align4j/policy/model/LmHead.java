package org.align4j.policy.model;

import java.util.Arrays;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The output projection and what teacher-forced passes take from it: per-token log-probs and entropies, and the
 * backward pass of a loss given d(loss)/d(log-prob). With a vocabulary of 152k, [tokens, vocab] float32 logits of
 * a batch of 16 x 2048 tokens take 20 GB, so the head may run over chunks of rows (the idea of Liger's fused
 * linear cross-entropy): each chunk's logits are computed into one reused [chunk, vocab] buffer, reduced to
 * log-probs and entropies, and dropped; the backward pass computes them again chunk by chunk (one more
 * [chunk, hidden] x [hidden, vocab] product per chunk) and turns them into the gradients of the final hidden
 * states and the head weight. Chunks whose rows all lack a target (padding) are skipped.
 *
 * <p>Chunk size: {@link #AUTO} keeps the whole batch while its logits stay under {@link #AUTO_WHOLE_LIMIT}
 * elements, and otherwise uses Liger's rule (a power of two near rows / ceil(vocab / hidden), so that one
 * chunk's logits are about the size of the hidden states); 0 never chunks; a positive value is the rows per chunk.
 */
final class LmHead {
    /** Chunk size chosen from the shapes. */
    static final int AUTO = -1;
    /** Whole-batch logits up to this many elements (64 MB in float32) are kept unchunked under AUTO. */
    static final long AUTO_WHOLE_LIMIT = 1L << 24;

    private final Ops ops;
    private final Parameter weight;
    private final int vocab;
    private final int hidden;
    private int chunkSize = AUTO;

    LmHead(Ops ops, Parameter weight, int vocab, int hidden) {
        this.ops = ops;
        this.weight = weight;
        this.vocab = vocab;
        this.hidden = hidden;
    }

    void setChunkSize(int tokens) {
        if (tokens < AUTO) {
            throw new IllegalArgumentException("lm_head_chunk_size must be -1 (auto), 0 (off) or positive, got "
                    + tokens);
        }
        chunkSize = tokens;
    }

    int chunkSize() {
        return chunkSize;
    }

    /** Rows per chunk for a grid of this many rows (rows itself when the head runs unchunked). */
    int chunkRows(int rows) {
        if (chunkSize == 0) {
            return rows;
        }
        if (chunkSize > 0) {
            return Math.min(rows, chunkSize);
        }
        if ((long) rows * vocab <= AUTO_WHOLE_LIMIT) {
            return rows;
        }
        int inc = (vocab + hidden - 1) / hidden;
        int chunk = Integer.highestOneBit(Math.max(1, (rows + inc - 1) / inc));
        chunk = chunk < (rows + inc - 1) / inc ? chunk * 2 : chunk; // next power of two
        return Math.max(1, Math.min(rows, chunk));
    }

    /**
     * Fills ws.logProb() and ws.entropy() from ws.finalHidden (and ws.logits() when unchunked), with the logits
     * divided by temperature (the backward pass carries the same factor).
     */
    void forward(Workspace ws, double temperature) {
        ws.headScale = 1.0 / temperature;
        double scale = ws.headScale;
        int rows = ws.shape.rows;
        int chunk = chunkRows(rows);
        ws.headChunk = chunk;
        if (chunk >= rows) {
            ops.gemm(ws.finalHidden, weight.value(), ws.logits(), false, true, scale, 0.0);
            ops.logProbsAndEntropy(ws.logits(), ws.targets, ws.logProb(), ws.entropy());
            return;
        }
        INDArray buf = ws.chunkLogits(chunk);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            INDArray lp = span(ws.logProb(), r0, n);
            INDArray ent = span(ws.entropy(), r0, n);
            int[] targets = Arrays.copyOfRange(ws.targets, r0, r0 + n);
            if (noTargets(targets)) {
                ops.zero(lp);
                ops.zero(ent);
                continue;
            }
            INDArray logits = n == chunk ? buf : rowSpan(buf, 0, n);
            ops.gemm(rowSpan(ws.finalHidden, r0, n), weight.value(), logits, false, true, scale, 0.0);
            ops.logProbsAndEntropy(logits, targets, lp, ent);
        }
    }

    /** The whole grid's logits, computed now if the forward pass chunked them. */
    INDArray fullLogits(Workspace ws) {
        if (ws.headChunk < ws.shape.rows) {
            ops.gemm(ws.finalHidden, weight.value(), ws.logits(), false, true, ws.headScale, 0.0);
        }
        return ws.logits();
    }

    /**
     * Given dLogProb (on the device, [rows]), writes d(loss)/d(final hidden) into dFinal and accumulates the head
     * weight's gradient. Unchunked, the logits of the forward pass are consumed (overwritten).
     */
    void backward(Workspace ws, INDArray dLogProb, INDArray dFinal) {
        int rows = ws.shape.rows;
        int chunk = ws.headChunk;
        double scale = ws.headScale;
        if (chunk >= rows) {
            INDArray dLogits = ws.logits();
            ops.logProbsBackward(dLogits, ws.targets, dLogProb);
            ops.gemm(dLogits, weight.value(), dFinal, false, false, scale, 0.0);
            if (weight.trainable()) { // frozen under LoRA: no gradient buffer
                ops.gemm(dLogits, ws.finalHidden, weight.grad(), true, false, scale, 1.0);
            }
            return;
        }
        INDArray buf = ws.chunkLogits(chunk);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            INDArray dHidden = rowSpan(dFinal, r0, n);
            int[] targets = Arrays.copyOfRange(ws.targets, r0, r0 + n);
            if (noTargets(targets)) {
                ops.zero(dHidden);
                continue;
            }
            INDArray h = rowSpan(ws.finalHidden, r0, n);
            INDArray logits = n == chunk ? buf : rowSpan(buf, 0, n);
            ops.gemm(h, weight.value(), logits, false, true, scale, 0.0);
            ops.logProbsBackward(logits, targets, span(dLogProb, r0, n));
            ops.gemm(logits, weight.value(), dHidden, false, false, scale, 0.0);
            if (weight.trainable()) {
                ops.gemm(logits, h, weight.grad(), true, false, scale, 1.0);
            }
        }
    }

    private static boolean noTargets(int[] targets) {
        for (int t : targets) {
            if (t >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Rows [from, from + n) of a C-ordered 2-D array, as a C-ordered view (ND4J's own interval views of one row
     * come back in 'f' order, which the ops refuse).
     */
    static INDArray rowSpan(INDArray a, int from, int n) {
        long cols = a.size(1);
        return Nd4j.create(a.data(), new long[] {n, cols}, new long[] {cols, 1}, a.offset() + from * cols, 'c');
    }

    /** Elements [from, from + n) of a contiguous 1-D array, as a view. */
    private static INDArray span(INDArray a, int from, int n) {
        return Nd4j.create(a.data(), new long[] {n}, new long[] {1}, a.offset() + from, 'c');
    }
}
