package org.align4j.policy.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of one teacher-forced forward pass over a {@link TokenBatch}. It lives in the model's
 * reused buffers, so it is valid only until the model's next forward pass on a batch of the same padded
 * shape; using it afterwards throws. Positions are addressed as (row, t); the log-prob at t is
 * log p(ids[t + 1] | ids[0..t]), so row b has length(b) - 1 of them.
 */
public final class Forward {
    private final CausalLM model;
    private final Workspace ws;
    private final TokenBatch batch;
    private final long generation;
    private final boolean withLogits;
    private boolean backwardDone;

    Forward(CausalLM model, Workspace ws, TokenBatch batch, long generation, boolean withLogits) {
        this.model = model;
        this.ws = ws;
        this.batch = batch;
        this.generation = generation;
        this.withLogits = withLogits;
    }

    public TokenBatch batch() {
        return batch;
    }

    /** Padded width of the internal grid: flat row index of (b, t) is b * paddedWidth() + t. */
    public int paddedWidth() {
        return ws.shape.seq;
    }

    public int rowIndex(int b, int t) {
        return b * ws.shape.seq + t;
    }

    private void check(boolean needLogits) {
        model.checkCurrent(ws, generation);
        if (needLogits && !withLogits) {
            throw new IllegalStateException("this forward pass computed hidden states only");
        }
    }

    /** log p(ids[t+1] | ids[..t]) for t in [0, length(b) - 1). */
    public double[][] tokenLogProbs() {
        check(true);
        model.ops().toHost(ws.logProb());
        return perRow(ws.logProb().toDoubleVector());
    }

    /** Entropy of the next-token distribution at each position that has a target. */
    public double[][] tokenEntropies() {
        check(true);
        model.ops().toHost(ws.entropy());
        return perRow(ws.entropy().toDoubleVector());
    }

    private double[][] perRow(double[] flat) {
        double[][] out = new double[batch.size()][];
        for (int b = 0; b < batch.size(); b++) {
            out[b] = new double[batch.length(b) - 1];
            System.arraycopy(flat, b * ws.shape.seq, out[b], 0, out[b].length);
        }
        return out;
    }

    /**
     * Logits [rows of the padded grid, vocab]; overwritten by {@link #backward}. Where the LM head ran in chunks
     * (see {@link CausalLM#setLmHeadChunkSize}) they are computed now, into a whole-batch buffer kept with the
     * model's buffers of this shape.
     */
    public INDArray logits() {
        check(true);
        if (backwardDone) {
            throw new IllegalStateException("logits were consumed by backward()");
        }
        INDArray logits = model.fullLogits(ws);
        model.ops().toHost(logits);
        return logits;
    }

    /** Final (normed) hidden states [rows of the padded grid, hidden]. */
    public INDArray hiddenStates() {
        check(false);
        model.ops().toHost(ws.finalHidden);
        return ws.finalHidden;
    }

    /**
     * Backpropagates a loss given its derivative with respect to each token log-prob (same layout as
     * {@link #tokenLogProbs()}); parameter gradients are accumulated.
     */
    public void backward(double[][] dLogProbs) {
        check(true);
        if (backwardDone) {
            throw new IllegalStateException("backward() was already called on this forward pass");
        }
        double[] flat = new double[ws.shape.rows];
        for (int b = 0; b < batch.size(); b++) {
            if (dLogProbs[b].length != batch.length(b) - 1) {
                throw new IllegalArgumentException("row " + b + ": expected " + (batch.length(b) - 1)
                        + " gradient entries, got " + dLogProbs[b].length);
            }
            System.arraycopy(dLogProbs[b], 0, flat, b * ws.shape.seq, dLogProbs[b].length);
        }
        backwardDone = true;
        model.backwardFromLogProbs(ws, flat);
    }

    /** Backpropagates d(loss)/d(final hidden states), same shape as {@link #hiddenStates()}. */
    public void backwardFromHidden(INDArray dHidden) {
        check(false);
        backwardDone = true;
        model.backwardFromHidden(ws, dHidden);
    }
}
