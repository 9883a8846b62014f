package org.align4j.dpo;

import org.align4j.dpo.loss.PairTerm;
import org.align4j.dpo.loss.PreferenceLoss;
import org.align4j.dpo.loss.PreferenceParams;

/**
 * The DPO loss of a batch of preference pairs, from sequence log-probs (sums over completion tokens, or means for
 * the length-normalised losses) under the policy and the reference:
 *
 * <pre>
 *   c_i = logp(y_w) - ref(y_w),  r_i = logp(y_l) - ref(y_l)
 *   loss = (1 / totalPairs) * sum_i l(c_i, r_i)          l the {@link PreferenceLoss} of loss_type
 * </pre>
 *
 * {@link #compute} returns the loss, its exact derivative with respect to each policy sequence log-prob
 * (the reference gets none), and the implicit rewards beta * (logp - ref) that TRL logs.
 */
public final class DpoLoss {
    private final PreferenceLoss type;
    private final PreferenceParams params;
    private final PairTerm term = new PairTerm();

    public DpoLoss(PreferenceLoss type, double beta, double labelSmoothing) {
        this(type, PreferenceParams.of(beta, labelSmoothing));
    }

    public DpoLoss(PreferenceLoss type, PreferenceParams params) {
        type.check(params);
        this.type = type;
        this.params = params;
    }

    public PreferenceLoss type() {
        return type;
    }

    public double beta() {
        return params.beta();
    }

    /** Loss, gradient and implicit rewards of one (micro-)batch of pairs. */
    public static final class Result {
        /** This batch's share of the loss: sum of per-pair losses / totalPairs. */
        public double loss;
        /** Unscaled loss of each pair (what TRL averages into the logged {@code loss}). */
        public double[] pairLoss;
        /** d(loss)/d(policy chosen log-prob) per pair. */
        public double[] dChosen;
        /** d(loss)/d(policy rejected log-prob) per pair. */
        public double[] dRejected;
        /** beta * (logp(y_w) - ref(y_w)) per pair. */
        public double[] chosenRewards;
        /** beta * (logp(y_l) - ref(y_l)) per pair. */
        public double[] rejectedRewards;
    }

    /**
     * @param totalPairs pairs in the whole optimizer batch, so that micro-batch losses (and gradients) add up to
     *                   the mean over the batch
     */
    public Result compute(double[] chosen, double[] rejected, double[] refChosen, double[] refRejected, int totalPairs) {
        int n = chosen.length;
        if (rejected.length != n || refChosen.length != n || refRejected.length != n) {
            throw new IllegalArgumentException("log-prob arrays differ in length");
        }
        Result r = new Result();
        r.pairLoss = new double[n];
        r.dChosen = new double[n];
        r.dRejected = new double[n];
        r.chosenRewards = new double[n];
        r.rejectedRewards = new double[n];
        double scale = 1.0 / totalPairs;
        for (int i = 0; i < n; i++) {
            double c = chosen[i] - refChosen[i];
            double l = rejected[i] - refRejected[i];
            type.pair(c, l, params, term);
            r.pairLoss[i] = term.loss;
            r.loss += scale * term.loss;
            r.dChosen[i] = scale * term.dChosen;
            r.dRejected[i] = scale * term.dRejected;
            r.chosenRewards[i] = params.beta() * c;
            r.rejectedRewards[i] = params.beta() * l;
        }
        return r;
    }
}
