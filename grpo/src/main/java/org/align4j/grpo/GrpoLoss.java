package org.align4j.grpo;

/**
 * The GRPO objective of DeepSeekMath (eq. 3), per token t of completion i:
 *
 * <pre>
 *   loss_it = -min(rho_it * A_it, clip(rho_it, 1 - epsilon, 1 + epsilon_high) * A_it) + beta * KL_it
 *   rho_it  = exp(logp_it - oldLogp_it)
 *   KL_it   = exp(refLogp_it - logp_it) - (refLogp_it - logp_it) - 1      (k3, unbiased, >= 0)
 * </pre>
 *
 * averaged as {@link LossType} says. {@link #compute} returns the loss, its exact derivative with respect
 * to every token's log-prob under the current policy (which the model backpropagates), and the metrics
 * TRL logs. Masked tokens (mask 0) contribute nothing.
 */
public final class GrpoLoss {
    private final double beta;
    private final double epsilonLow;
    private final double epsilonHigh;
    private final LossType lossType;
    private final int maxCompletionLength;

    public GrpoLoss(double beta, double epsilon, double epsilonHigh, LossType lossType, int maxCompletionLength) {
        if (beta < 0 || epsilon < 0 || epsilonHigh < 0) {
            throw new IllegalArgumentException("beta, epsilon and epsilon_high must be >= 0");
        }
        this.beta = beta;
        this.epsilonLow = epsilon;
        this.epsilonHigh = epsilonHigh;
        this.lossType = lossType;
        this.maxCompletionLength = maxCompletionLength;
    }

    /** Loss, gradient and statistics of one batch of completions. */
    public static final class Result {
        public double loss;
        /** d(loss)/d(logp) per completion and token. */
        public double[][] dLogp;
        public double meanKl;
        public double clipRatioLow;
        public double clipRatioHigh;
        public double clipRatioRegion;
        public double meanRatio;
        public long tokens;
    }

    /**
     * @param logp       per completion, per completion token: log-prob under the policy being trained
     * @param oldLogp    the same under the policy that sampled (equal to logp when num_iterations is 1)
     * @param refLogp    the same under the reference policy (ignored when beta is 0; may be null then)
     * @param advantages per completion, per token
     * @param mask       per completion, per token: 1 to train on the token, 0 to skip it
     * @param totalCompletions completions in the whole optimizer batch (the loss of a micro-batch is
     *                   scaled so that micro-batches add up to the batch loss)
     * @param totalTokens tokens (mask 1) in the whole optimizer batch, for {@link LossType#DAPO}
     */
    public Result compute(double[][] logp, double[][] oldLogp, double[][] refLogp, double[][] advantages,
                          double[][] mask, int totalCompletions, long totalTokens) {
        int n = logp.length;
        Result r = new Result();
        r.dLogp = new double[n][];
        double klSum = 0;
        double ratioSum = 0;
        long low = 0;
        long high = 0;
        for (int i = 0; i < n; i++) {
            int len = logp[i].length;
            r.dLogp[i] = new double[len];
            double tokensOfI = 0;
            for (int t = 0; t < len; t++) {
                tokensOfI += mask[i][t];
            }
            for (int t = 0; t < len; t++) {
                if (mask[i][t] == 0) {
                    continue;
                }
                double weight = mask[i][t] * tokenWeight(tokensOfI, totalCompletions, totalTokens);
                double a = advantages[i][t];
                double ratio = Math.exp(logp[i][t] - oldLogp[i][t]);
                double clipped = Math.max(1 - epsilonLow, Math.min(1 + epsilonHigh, ratio));
                double unclippedTerm = ratio * a;
                double clippedTerm = clipped * a;
                // min(): the unclipped branch carries gradient d(rho A)/dlogp = rho A; the clipped branch none
                boolean useUnclipped = unclippedTerm <= clippedTerm;
                double surrogate = Math.min(unclippedTerm, clippedTerm);
                double tokenLoss = -surrogate;
                double grad = useUnclipped ? -unclippedTerm : 0.0;
                if (beta != 0) {
                    double diff = refLogp[i][t] - logp[i][t];
                    double e = Math.exp(diff);
                    double kl = e - diff - 1;
                    tokenLoss += beta * kl;
                    grad += beta * (1 - e);
                    klSum += kl * mask[i][t];
                }
                r.loss += weight * tokenLoss;
                r.dLogp[i][t] = weight * grad;
                ratioSum += ratio;
                r.tokens++;
                if (ratio < 1 - epsilonLow && a < 0) {
                    low++;
                }
                if (ratio > 1 + epsilonHigh && a > 0) {
                    high++;
                }
            }
        }
        if (r.tokens > 0) {
            r.meanKl = klSum / r.tokens;
            r.meanRatio = ratioSum / r.tokens;
            r.clipRatioLow = (double) low / r.tokens;
            r.clipRatioHigh = (double) high / r.tokens;
            r.clipRatioRegion = (double) (low + high) / r.tokens;
        }
        return r;
    }

    private double tokenWeight(double tokensOfCompletion, int totalCompletions, long totalTokens) {
        switch (lossType) {
            case GRPO:
                return tokensOfCompletion == 0 ? 0 : 1.0 / (tokensOfCompletion * totalCompletions);
            case DR_GRPO:
                return 1.0 / ((double) totalCompletions * maxCompletionLength);
            case DAPO:
                return totalTokens == 0 ? 0 : 1.0 / totalTokens;
            default:
                throw new IllegalStateException(lossType.toString());
        }
    }
}
