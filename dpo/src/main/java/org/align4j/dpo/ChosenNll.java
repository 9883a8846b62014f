package org.align4j.dpo;

/**
 * The negative log-likelihood of the chosen completions that ORPO and CPO add to their preference loss: the mean
 * over all chosen completion tokens of the optimizer batch of -log pi(y_t), so that micro-batches add up to it.
 */
public final class ChosenNll {
    private ChosenNll() {
    }

    /**
     * This micro-batch's share of the NLL, from sequence log-probs that are token means (meanLogp) of completions of
     * the given lengths.
     */
    public static double value(double[] meanLogp, int[] lengths, long totalChosenTokens) {
        double s = 0;
        for (int i = 0; i < meanLogp.length; i++) {
            s -= meanLogp[i] * lengths[i];
        }
        return s / totalChosenTokens;
    }

    /** d(NLL share)/d(mean log-prob of completion i) = -length_i / total chosen tokens. */
    public static double dMeanLogp(int length, long totalChosenTokens) {
        return -(double) length / totalChosenTokens;
    }
}
