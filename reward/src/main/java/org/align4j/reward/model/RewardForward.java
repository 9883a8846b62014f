package org.align4j.reward.model;

import org.align4j.policy.model.Forward;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scores of one batched forward pass of a {@link RewardModel} at chosen positions, kept for the backward
 * pass. Like the trunk's {@link Forward}, it is valid only until the model's next forward pass of the same
 * padded shape, so call {@link #backward} before running the next micro-batch.
 */
public final class RewardForward {
    private final Forward forward;
    private final ScalarHead head;
    private final int[] rowIndex;
    private final int[] offsets;
    private final INDArray rows;
    private final double[] flat;
    private boolean backwardDone;

    RewardForward(Forward forward, ScalarHead head, int[][] positions) {
        this.forward = forward;
        this.head = head;
        offsets = new int[positions.length + 1];
        for (int b = 0; b < positions.length; b++) {
            offsets[b + 1] = offsets[b] + positions[b].length;
        }
        rowIndex = new int[offsets[positions.length]];
        for (int b = 0; b < positions.length; b++) {
            for (int j = 0; j < positions[b].length; j++) {
                rowIndex[offsets[b] + j] = forward.rowIndex(b, positions[b][j]);
            }
        }
        rows = rowIndex.length == 0 ? null : forward.hiddenStates().getRows(rowIndex);
        flat = rows == null ? new double[0] : head.forward(rows);
    }

    /** The raw scores (logits): {@code scores()[b][j]} at {@code positions[b][j]}. */
    public double[][] scores() {
        double[][] out = new double[offsets.length - 1][];
        for (int b = 0; b < out.length; b++) {
            out[b] = java.util.Arrays.copyOfRange(flat, offsets[b], offsets[b + 1]);
        }
        return out;
    }

    /**
     * Backpropagates d(loss)/d(score), laid out as {@link #scores()}; gradients of the head and the trunk are
     * accumulated into their parameters.
     */
    public void backward(double[][] dScores) {
        if (backwardDone) {
            throw new IllegalStateException("backward() was already called on this forward pass");
        }
        backwardDone = true;
        double[] d = new double[flat.length];
        for (int b = 0; b < offsets.length - 1; b++) {
            int n = offsets[b + 1] - offsets[b];
            if (dScores[b].length != n) {
                throw new IllegalArgumentException("sequence " + b + ": expected " + n + " gradient entries, got "
                        + dScores[b].length);
            }
            System.arraycopy(dScores[b], 0, d, offsets[b], n);
        }
        INDArray hidden = forward.hiddenStates();
        INDArray dHidden = Nd4j.zeros(hidden.dataType(), hidden.shape());
        if (rows != null) {
            INDArray dRows = head.backward(rows, d);
            for (int i = 0; i < rowIndex.length; i++) {
                // addi, not put: two positions may share a row
                dHidden.getRow(rowIndex[i]).addi(dRows.getRow(i));
            }
        }
        forward.backwardFromHidden(dHidden);
    }
}
