package org.align4j.reward.model.train;

import java.util.Arrays;

/**
 * Loss, accuracy and AUC over the loss terms seen so far (a preference pair, an outcome label, or a step
 * label each count once). Accuracy: for a pair, chosen scored above rejected; for a label, the sign of the
 * score (sigmoid above 0.5) agrees with it. AUC: the probability that a positive outscores a negative (ties
 * count half), with chosen completions as positives and rejected ones as negatives for pairs; NaN until
 * both classes have been seen.
 */
public final class RewardMetrics {
    private double lossSum;
    private long terms;
    private long correct;
    private double[] scores = new double[64];
    private boolean[] positive = new boolean[64];
    private int scored;

    /** One loss term and whether its prediction was right. */
    public void addTerm(double loss, boolean right) {
        lossSum += loss;
        terms++;
        if (right) {
            correct++;
        }
    }

    /** A score with its class, for the AUC. */
    public void addScore(double score, boolean isPositive) {
        if (scored == scores.length) {
            scores = Arrays.copyOf(scores, scored * 2);
            positive = Arrays.copyOf(positive, scored * 2);
        }
        scores[scored] = score;
        positive[scored] = isPositive;
        scored++;
    }

    /** Adds everything another accumulator saw (a step's metrics into a logging window's). */
    public void add(RewardMetrics other) {
        lossSum += other.lossSum;
        terms += other.terms;
        correct += other.correct;
        for (int i = 0; i < other.scored; i++) {
            addScore(other.scores[i], other.positive[i]);
        }
    }

    public long terms() {
        return terms;
    }

    public double loss() {
        return terms == 0 ? Double.NaN : lossSum / terms;
    }

    public double accuracy() {
        return terms == 0 ? Double.NaN : (double) correct / terms;
    }

    public double auc() {
        return auc(Arrays.copyOf(scores, scored), Arrays.copyOf(positive, scored));
    }

    /** The share of positives among the scored samples (NaN when none). */
    public double positiveRate() {
        int pos = 0;
        for (int i = 0; i < scored; i++) {
            pos += positive[i] ? 1 : 0;
        }
        return scored == 0 ? Double.NaN : (double) pos / scored;
    }

    /**
     * The Mann-Whitney form of the ROC AUC: rank all scores (ties get their average rank), then
     * (rank sum of positives - P(P+1)/2) / (P N). O(n log n).
     */
    public static double auc(double[] score, boolean[] isPositive) {
        int n = score.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[a], score[b]));
        double rankSumPositive = 0;
        long pos = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && score[order[j + 1]] == score[order[i]]) {
                j++;
            }
            double avgRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (isPositive[order[k]]) {
                    rankSumPositive += avgRank;
                    pos++;
                }
            }
            i = j + 1;
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        return (rankSumPositive - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
