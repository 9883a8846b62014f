package org.align4j.dpo;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.model.TokenBatch;

/**
 * Prompt + completion sequences laid out as one {@link TokenBatch}, for losses on single completions (KTO):
 * converts a forward's token log-probs into sequence log-probs over completion tokens only (sums, or means when
 * {@code meanOverTokens}), and spreads per-sequence gradients back onto those tokens.
 */
public final class CompletionBatch {
    private final int[] promptLengths;
    private final TokenBatch tokens;
    private final boolean meanOverTokens;

    public CompletionBatch(List<int[]> prompts, List<int[]> completions, boolean meanOverTokens) {
        if (prompts.isEmpty() || prompts.size() != completions.size()) {
            throw new IllegalArgumentException("need one completion per prompt, and at least one");
        }
        this.meanOverTokens = meanOverTokens;
        promptLengths = new int[prompts.size()];
        List<int[]> rows = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            int[] p = prompts.get(i);
            int[] c = completions.get(i);
            int[] seq = java.util.Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, seq, p.length, c.length);
            rows.add(seq);
            promptLengths[i] = p.length;
        }
        this.tokens = TokenBatch.of(rows);
    }

    public TokenBatch tokens() {
        return tokens;
    }

    public int size() {
        return promptLengths.length;
    }

    /** Sequence log-probs of the completions, from the forward's tokenLogProbs(). */
    public double[] logps(double[][] tokenLogProbs) {
        double[] out = new double[promptLengths.length];
        for (int i = 0; i < out.length; i++) {
            double[] row = tokenLogProbs[i];
            int from = promptLengths[i] - 1;
            double s = 0;
            for (int t = from; t < row.length; t++) {
                s += row[t];
            }
            out[i] = meanOverTokens ? s / (row.length - from) : s;
        }
        return out;
    }

    /** d(loss)/d(token log-prob) for every row, given d(loss)/d(sequence log-prob); prompt positions get 0. */
    public double[][] spread(double[] dSequence) {
        double[][] out = new double[promptLengths.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[tokens.length(i) - 1];
            int from = promptLengths[i] - 1;
            double perToken = meanOverTokens ? dSequence[i] / (out[i].length - from) : dSequence[i];
            for (int t = from; t < out[i].length; t++) {
                out[i][t] = perToken;
            }
        }
        return out;
    }
}
