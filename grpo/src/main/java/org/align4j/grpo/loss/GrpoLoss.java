package org.align4j.grpo.loss;

import java.util.Arrays;
import org.align4j.grpo.kl.KlEstimator;

/**
 * The GRPO objective of one micro-batch, as TRL's GRPOTrainer computes it. Per trained token t of completion i:
 *
 * <pre>
 *   loss_it = keep_it * is_it * term(logp_it, log w_it, A_it) + beta * KL(logp_it, ref_it)
 *   w_it    = pi / pi_old of the token (importance_sampling_level token) or of the sequence (sequence, GSPO)
 *   keep_it = 1, or whether the token is among the top_entropy_quantile of entropies (Wang et al. 2025)
 *   is_it   = the sampler correction weight ({@code ImportanceSamplingCorrection}), 1 without one
 * </pre>
 *
 * summed with the weights of the {@link PolicyLoss}'s aggregation. {@link #compute} returns the loss, its exact
 * derivative with respect to every token's log-prob under the current policy (which the model backpropagates),
 * and the statistics TRL logs. Tokens of mask 0 contribute nothing.
 */
public final class GrpoLoss {
    private final Options options;
    private final TokenTerm term = new TokenTerm();

    /**
     * @param loss               the policy loss (loss_type)
     * @param level              token or sequence importance weights
     * @param clip               epsilon, epsilon_high and delta
     * @param beta               KL coefficient in the loss (0: no KL term)
     * @param kl                 the KL estimator of the loss term (ignored when beta is 0)
     * @param topEntropyQuantile share of tokens, by entropy, that keep their policy term (1: all)
     */
    public record Options(PolicyLoss loss, ImportanceSamplingLevel level, ClipRange clip, double beta, KlEstimator kl,
                          double topEntropyQuantile) {
        public Options {
            if (beta < 0) {
                throw new IllegalArgumentException("beta must be >= 0");
            }
            if (beta != 0 && kl == null) {
                throw new IllegalArgumentException("a KL estimator is needed when beta is not 0");
            }
            if (!(topEntropyQuantile >= 0 && topEntropyQuantile <= 1)) {
                throw new IllegalArgumentException("top_entropy_quantile must be in [0, 1]");
            }
        }
    }

    /**
     * One micro-batch, per completion and completion token.
     *
     * @param logp           log-probs under the policy being trained
     * @param oldLogp        the same under the policy the importance weights are taken against (equal to logp on
     *                       the first update of a batch)
     * @param refLogp        the same under the reference policy (may be null when beta is 0)
     * @param advantages     per token
     * @param mask           1 to train on the token, 0 to skip it
     * @param entropy        the policy's entropy at each token (may be null when top_entropy_quantile is 1)
     * @param samplingWeight the sampler correction weight per token (null: 1)
     */
    public record Inputs(double[][] logp, double[][] oldLogp, double[][] refLogp, double[][] advantages,
                         double[][] mask, double[][] entropy, double[][] samplingWeight) {
    }

    /** Loss, gradient and statistics of one micro-batch. */
    public static final class Result {
        /** This micro-batch's share of the batch loss. */
        public double loss;
        /** d(loss)/d(logp) per completion and token. */
        public double[][] dLogp;
        /** Sum of the KL estimate over trained tokens (0 when beta is 0). */
        public double klSum;
        /** Trained tokens (or, at sequence level, completions with a trained token) that were clipped. */
        public double clippedLow;
        public double clippedHigh;
        /** The count the clip fractions are over: trained tokens, or completions at sequence level. */
        public double clipCount;
        /** Sum of the importance weights over trained tokens. */
        public double ratioSum;
        /** Trained tokens whose policy term was dropped by top_entropy_quantile. */
        public long entropyMasked;
        /** Trained tokens. */
        public long tokens;
    }

    public GrpoLoss(Options options) {
        this.options = options;
    }

    public Options options() {
        return options;
    }

    public Result compute(Inputs in, BatchShape batch) {
        double[][] logp = in.logp();
        int n = logp.length;
        Result r = new Result();
        r.dLogp = new double[n][];
        long microTokens = 0;
        double[] tokensOf = new double[n];
        for (int i = 0; i < n; i++) {
            for (double m : in.mask()[i]) {
                tokensOf[i] += m;
            }
            microTokens += (long) tokensOf[i];
        }
        BatchShape shape = batch.withMicroBatchTokens(microTokens);
        double threshold = entropyThreshold(in);
        boolean sequence = options.level() == ImportanceSamplingLevel.SEQUENCE;
        PolicyLoss loss = options.loss();
        for (int i = 0; i < n; i++) {
            int len = logp[i].length;
            double[] mask = in.mask()[i];
            r.dLogp[i] = new double[len];
            double seqLogW = 0;
            if (sequence) {
                for (int t = 0; t < len; t++) {
                    seqLogW += mask[t] * (logp[i][t] - in.oldLogp()[i][t]);
                }
                seqLogW /= Math.max(1.0, tokensOf[i]);
            }
            double seqGrad = 0;
            boolean low = false;
            boolean high = false;
            double weight = loss.tokenWeight(tokensOf[i], shape);
            for (int t = 0; t < len; t++) {
                if (mask[t] == 0) {
                    continue;
                }
                double logW = sequence ? seqLogW : logp[i][t] - in.oldLogp()[i][t];
                term.reset();
                loss.token(logp[i][t], logW, in.advantages()[i][t], options.clip(), term);
                double factor = in.samplingWeight() == null ? 1.0 : in.samplingWeight()[i][t];
                if (threshold > Double.NEGATIVE_INFINITY && !(in.entropy()[i][t] >= threshold)) {
                    factor = 0;
                    r.entropyMasked++;
                }
                double w = weight * mask[t];
                double tokenLoss = factor * term.value;
                double grad = factor * term.dLogp;
                if (sequence) {
                    seqGrad += w * factor * term.dLogW;
                } else {
                    grad += factor * term.dLogW;
                }
                if (options.beta() != 0) {
                    double ref = in.refLogp()[i][t];
                    double kl = options.kl().value(logp[i][t], ref);
                    tokenLoss += options.beta() * kl;
                    grad += options.beta() * options.kl().dLogp(logp[i][t], ref);
                    r.klSum += kl * mask[t];
                }
                r.loss += w * tokenLoss;
                r.dLogp[i][t] += w * grad;
                r.ratioSum += Math.exp(logW);
                r.tokens++;
                if (sequence) {
                    low = term.clippedLow;
                    high = term.clippedHigh;
                } else {
                    r.clippedLow += term.clippedLow ? 1 : 0;
                    r.clippedHigh += term.clippedHigh ? 1 : 0;
                    r.clipCount++;
                }
            }
            if (sequence && tokensOf[i] > 0) {
                // d(seq log w)/d(logp_s) = mask_s / tokens: the sequence term's gradient spreads evenly
                for (int s = 0; s < len; s++) {
                    r.dLogp[i][s] += seqGrad * mask[s] / tokensOf[i];
                }
                r.clippedLow += low ? 1 : 0;
                r.clippedHigh += high ? 1 : 0;
                r.clipCount++;
            }
        }
        return r;
    }

    /**
     * The entropy a token needs to keep its policy term: the (1 - top_entropy_quantile) quantile of the trained
     * tokens' entropies in this micro-batch, interpolated linearly as torch.quantile; -infinity keeps every token.
     */
    private double entropyThreshold(Inputs in) {
        if (options.topEntropyQuantile() >= 1.0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (in.entropy() == null) {
            throw new IllegalArgumentException("top_entropy_quantile < 1 needs the token entropies");
        }
        int count = 0;
        for (double[] m : in.mask()) {
            for (double v : m) {
                count += v != 0 ? 1 : 0;
            }
        }
        if (count == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double[] e = new double[count];
        int k = 0;
        for (int i = 0; i < in.mask().length; i++) {
            for (int t = 0; t < in.mask()[i].length; t++) {
                if (in.mask()[i][t] != 0) {
                    e[k++] = in.entropy()[i][t];
                }
            }
        }
        return quantile(e, 1 - options.topEntropyQuantile());
    }

    /** The q-quantile of x with linear interpolation between order statistics (torch.quantile's default). */
    static double quantile(double[] x, double q) {
        double[] s = x.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
