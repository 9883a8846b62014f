package org.align4j.dpo.simpo;

import org.align4j.dpo.ChosenNll;
import org.align4j.dpo.loss.PairTerm;
import org.align4j.dpo.loss.PreferenceLoss;
import org.align4j.dpo.loss.PreferenceParams;

/**
 * CPO (Xu et al. 2024) and SimPO (Meng et al. 2024) as TRL's CPOTrainer: a preference loss on the policy's own
 * sequence log-probs (no reference model; token means for simpo and ipo, sums for sigmoid and hinge), plus
 * cpo_alpha times the NLL of the chosen completions:
 *
 * <pre>
 *   loss = mean over pairs of l(c, r) + cpo_alpha * NLL(chosen tokens)
 *   simpo: l = -log sigmoid(beta (c - r) - simpo_gamma)
 * </pre>
 */
public final class CpoLoss {
    private final PreferenceLoss type;
    private final PreferenceParams params;
    private final double cpoAlpha;
    private final PairTerm term = new PairTerm();

    public CpoLoss(PreferenceLoss type, PreferenceParams params, double cpoAlpha) {
        if (cpoAlpha < 0) {
            throw new IllegalArgumentException("cpo_alpha must be >= 0");
        }
        type.check(params);
        this.type = type;
        this.params = params;
        this.cpoAlpha = cpoAlpha;
    }

    public PreferenceLoss type() {
        return type;
    }

    public double beta() {
        return params.beta();
    }

    /** Loss, gradient and TRL's statistics of a (micro-)batch of pairs. */
    public static final class Result {
        public double loss;
        /** This batch's share of the (unweighted) NLL of the chosen completions. */
        public double nll;
        public double[] pairLoss;
        public double[] dChosen;
        public double[] dRejected;
        /** beta c and beta r per pair (TRL's rewards/chosen and rewards/rejected). */
        public double[] chosenRewards;
        public double[] rejectedRewards;
    }

    /**
     * @param chosen            sequence log-probs of the chosen completions (token means when the loss averages)
     * @param chosenLengths     tokens of each chosen completion
     * @param totalChosenTokens chosen completion tokens in the optimizer batch
     */
    public Result compute(double[] chosen, double[] rejected, int[] chosenLengths, int totalPairs,
                          long totalChosenTokens) {
        int n = chosen.length;
        Result r = new Result();
        r.pairLoss = new double[n];
        r.dChosen = new double[n];
        r.dRejected = new double[n];
        r.chosenRewards = new double[n];
        r.rejectedRewards = new double[n];
        double[] means = new double[n];
        for (int i = 0; i < n; i++) {
            means[i] = type.averagesTokens() ? chosen[i] : chosen[i] / chosenLengths[i];
        }
        r.nll = ChosenNll.value(means, chosenLengths, totalChosenTokens);
        r.loss = cpoAlpha * r.nll;
        double scale = 1.0 / totalPairs;
        for (int i = 0; i < n; i++) {
            type.pair(chosen[i], rejected[i], params, term);
            r.pairLoss[i] = term.loss;
            r.loss += scale * term.loss;
            double dNll = ChosenNll.dMeanLogp(chosenLengths[i], totalChosenTokens);
            // the NLL's derivative is with respect to the token mean; a summed log-prob is length x the mean
            r.dChosen[i] = scale * term.dChosen + cpoAlpha * (type.averagesTokens() ? dNll : dNll / chosenLengths[i]);
            r.dRejected[i] = scale * term.dRejected;
            r.chosenRewards[i] = params.beta() * chosen[i];
            r.rejectedRewards[i] = params.beta() * rejected[i];
        }
        return r;
    }
}
