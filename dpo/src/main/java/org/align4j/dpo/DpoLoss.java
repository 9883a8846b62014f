package org.align4j.dpo;

/**
 * The DPO loss of a batch of preference pairs, from sequence log-probs (sums over completion tokens, or
 * means for IPO) under the policy and the reference:
 *
 * <pre>
 *   z_i = (logp(y_w) - ref(y_w)) - (logp(y_l) - ref(y_l))
 *   loss = (1 / totalPairs) * sum_i l(z_i)          l as {@link DpoLossType} says
 * </pre>
 *
 * {@link #compute} returns the loss, its exact derivative with respect to each policy sequence log-prob
 * (the reference gets none), and the implicit rewards beta * (logp - ref) that TRL logs.
 */
public final class DpoLoss {
    private final DpoLossType type;
    private final double beta;
    private final double labelSmoothing;

    public DpoLoss(DpoLossType type, double beta, double labelSmoothing) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, got " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (labelSmoothing > 0 && type != DpoLossType.SIGMOID) {
            throw new IllegalArgumentException("label_smoothing applies to loss_type sigmoid only, not "
                    + type.configName());
        }
        this.type = type;
        this.beta = beta;
        this.labelSmoothing = labelSmoothing;
    }

    public DpoLossType type() {
        return type;
    }

    public double beta() {
        return beta;
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
            double z = (chosen[i] - refChosen[i]) - (rejected[i] - refRejected[i]);
            double[] lossAndSlope = perPair(z);
            r.pairLoss[i] = lossAndSlope[0];
            r.loss += scale * lossAndSlope[0];
            // dz/dlogp(y_w) = 1, dz/dlogp(y_l) = -1
            r.dChosen[i] = scale * lossAndSlope[1];
            r.dRejected[i] = -scale * lossAndSlope[1];
            r.chosenRewards[i] = beta * (chosen[i] - refChosen[i]);
            r.rejectedRewards[i] = beta * (rejected[i] - refRejected[i]);
        }
        return r;
    }

    /** l(z) and dl/dz. */
    double[] perPair(double z) {
        double x = beta * z;
        switch (type) {
            case SIGMOID: {
                double eps = labelSmoothing;
                // d/dx[-log sigmoid(x)] = -sigmoid(-x); d/dx[-log sigmoid(-x)] = sigmoid(x)
                double loss = (1 - eps) * softplus(-x) + eps * softplus(x);
                double slope = -(1 - eps) * sigmoid(-x) + eps * sigmoid(x);
                return new double[] {loss, beta * slope};
            }
            case HINGE:
                return 1 - x > 0 ? new double[] {1 - x, -beta} : new double[] {0, 0};
            case IPO: {
                double d = z - 1 / (2 * beta);
                return new double[] {d * d, 2 * d};
            }
            default:
                throw new AssertionError(type);
        }
    }

    /** log(1 + e^x) without overflow: -log sigmoid(-x). */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }
}
