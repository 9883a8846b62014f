package org.align4j.dpo;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.model.TokenBatch;

/**
 * A micro-batch of n pairs laid out as one {@link TokenBatch} (rows 0..n-1 prompt + chosen, rows n..2n-1
 * prompt + rejected), so that one forward and one backward serve both completions. Converts the forward's
 * token log-probs into sequence log-probs over completion tokens only (sums, or means when
 * {@code meanOverTokens}), and spreads per-sequence gradients back onto those tokens.
 */
public final class PairBatch {
    private final List<PreferencePair> pairs;
    private final TokenBatch tokens;
    private final boolean meanOverTokens;

    public PairBatch(List<PreferencePair> pairs, boolean meanOverTokens) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("empty batch of pairs");
        }
        this.pairs = List.copyOf(pairs);
        this.meanOverTokens = meanOverTokens;
        List<int[]> rows = new ArrayList<>(2 * pairs.size());
        for (PreferencePair p : pairs) {
            rows.add(p.chosenSequence());
        }
        for (PreferencePair p : pairs) {
            rows.add(p.rejectedSequence());
        }
        this.tokens = TokenBatch.of(rows);
    }

    public List<PreferencePair> pairs() {
        return pairs;
    }

    public int size() {
        return pairs.size();
    }

    public TokenBatch tokens() {
        return tokens;
    }

    /** The number of tokens of each chosen completion. */
    public int[] chosenLengths() {
        int[] out = new int[pairs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = pairs.get(i).chosen().length;
        }
        return out;
    }

    /** Sequence log-probs of the chosen completions, from the forward's tokenLogProbs(). */
    public double[] chosen(double[][] tokenLogProbs) {
        return reduce(tokenLogProbs, 0);
    }

    /** Sequence log-probs of the rejected completions, from the forward's tokenLogProbs(). */
    public double[] rejected(double[][] tokenLogProbs) {
        return reduce(tokenLogProbs, pairs.size());
    }

    private double[] reduce(double[][] lp, int rowOffset) {
        int n = pairs.size();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double[] row = lp[rowOffset + i];
            int from = firstCompletionIndex(i);
            double s = 0;
            for (int t = from; t < row.length; t++) {
                s += row[t];
            }
            out[i] = meanOverTokens ? s / (row.length - from) : s;
        }
        return out;
    }

    /**
     * d(loss)/d(token log-prob) for every row of {@link #tokens()}, given d(loss)/d(sequence log-prob) of each
     * chosen and rejected completion; prompt positions get 0.
     */
    public double[][] spread(double[] dChosen, double[] dRejected) {
        int n = pairs.size();
        double[][] out = new double[2 * n][];
        for (int r = 0; r < 2 * n; r++) {
            int i = r % n;
            double g = r < n ? dChosen[i] : dRejected[i];
            out[r] = new double[tokens.length(r) - 1];
            int from = firstCompletionIndex(i);
            double perToken = meanOverTokens ? g / (out[r].length - from) : g;
            for (int t = from; t < out[r].length; t++) {
                out[r][t] = perToken;
            }
        }
        return out;
    }

    /** Entry t of a row's log-probs predicts token t + 1, so the completion starts at prompt length - 1. */
    private int firstCompletionIndex(int pair) {
        return pairs.get(pair).prompt().length - 1;
    }
}
