package org.align4j.policy.model;

import java.util.List;

/**
 * Sequences of token ids of different lengths, right-padded to a common width. Padding sits after each
 * row's last token, so causal attention never lets it influence a real position.
 */
public final class TokenBatch {
    private final int[][] rows;
    private final int width;

    private TokenBatch(int[][] rows, int width) {
        this.rows = rows;
        this.width = width;
    }

    public static TokenBatch of(List<int[]> sequences) {
        return of(sequences.toArray(new int[0][]));
    }

    public static TokenBatch of(int[]... sequences) {
        if (sequences.length == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        int w = 0;
        for (int i = 0; i < sequences.length; i++) {
            if (sequences[i].length == 0) {
                throw new IllegalArgumentException("sequence " + i + " of the batch is empty");
            }
            w = Math.max(w, sequences[i].length);
        }
        return new TokenBatch(sequences.clone(), w);
    }

    public int size() {
        return rows.length;
    }

    /** The padded width (longest row). */
    public int width() {
        return width;
    }

    public int length(int row) {
        return rows[row].length;
    }

    public int[] row(int row) {
        return rows[row];
    }

    /** Row-major ids of the padded [size, width] grid (padding is token 0). */
    int[] flatIds(int paddedWidth) {
        int[] ids = new int[rows.length * paddedWidth];
        for (int b = 0; b < rows.length; b++) {
            System.arraycopy(rows[b], 0, ids, b * paddedWidth, rows[b].length);
        }
        return ids;
    }

    /** Which cells of the padded [size, width] grid hold a token (false for padding). */
    boolean[] flatValid(int paddedWidth) {
        boolean[] v = new boolean[rows.length * paddedWidth];
        for (int b = 0; b < rows.length; b++) {
            java.util.Arrays.fill(v, b * paddedWidth, b * paddedWidth + rows[b].length, true);
        }
        return v;
    }

    /** Next-token targets of the padded grid: ids[t + 1] inside a row, -1 elsewhere. */
    int[] flatTargets(int paddedWidth) {
        int[] t = new int[rows.length * paddedWidth];
        java.util.Arrays.fill(t, -1);
        for (int b = 0; b < rows.length; b++) {
            for (int i = 0; i + 1 < rows[b].length; i++) {
                t[b * paddedWidth + i] = rows[b][i + 1];
            }
        }
        return t;
    }
}
