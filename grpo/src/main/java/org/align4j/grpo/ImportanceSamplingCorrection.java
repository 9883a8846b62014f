package org.align4j.grpo;

import java.util.Locale;
import java.util.Map;
import org.align4j.policy.util.BadInputException;

/**
 * Truncated importance sampling between the policy that sampled the completions and the trainer (TRL's
 * {@code vllm_importance_sampling_correction}): with {@code async_rollouts} the completions come from the previous
 * policy, so each token's policy term is multiplied by pi_old(y_t) / pi_sampler(y_t) (the trainer's log-prob before
 * the update over the sampler's recorded one), per token or per sequence (the exp of the summed log differences),
 * truncated to [clip_min, clip_max] or set to 0 outside it, as the mode says. {@link Stats} gathers TRL's
 * {@code sampling/...} metrics, which are logged for synchronous runs too (where the ratio is 1 up to rounding).
 */
public final class ImportanceSamplingCorrection {

    /** TRL's {@code vllm_importance_sampling_mode}. */
    public enum Mode {
        TOKEN_TRUNCATE, TOKEN_MASK, SEQUENCE_TRUNCATE, SEQUENCE_MASK;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean sequence() {
            return this == SEQUENCE_TRUNCATE || this == SEQUENCE_MASK;
        }

        boolean truncate() {
            return this == TOKEN_TRUNCATE || this == SEQUENCE_TRUNCATE;
        }

        public static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.configName().equals(s)) {
                    return m;
                }
            }
            throw new BadInputException("unknown vllm_importance_sampling_mode '" + s
                    + "' (known: token_truncate, token_mask, sequence_truncate, sequence_mask)");
        }
    }

    private final boolean apply;
    private final Mode mode;
    private final double clipMin;
    private final double clipMax;

    /**
     * @param apply   whether the weights multiply the loss (the metrics are gathered either way)
     * @param clipMin null: no lower bound
     * @param clipMax null: no upper bound
     */
    public ImportanceSamplingCorrection(boolean apply, Mode mode, Double clipMin, Double clipMax) {
        this.apply = apply;
        this.mode = mode;
        this.clipMin = clipMin == null ? Double.NEGATIVE_INFINITY : clipMin;
        this.clipMax = clipMax == null ? Double.POSITIVE_INFINITY : clipMax;
    }

    public boolean applies() {
        return apply;
    }

    /**
     * The correction weight of every token (1 for tokens of mask 0), from the trainer's log-probs before the update
     * and the sampler's; the gaps and weights are added to stats.
     */
    public double[][] weights(double[][] trainerLogp, double[][] samplerLogp, double[][] mask, Stats stats) {
        int n = trainerLogp.length;
        double[][] w = new double[n][];
        for (int i = 0; i < n; i++) {
            int len = trainerLogp[i].length;
            w[i] = new double[len];
            double seqDiff = 0;
            for (int t = 0; t < len; t++) {
                double d = (trainerLogp[i][t] - samplerLogp[i][t]) * mask[i][t];
                seqDiff += d;
                if (mask[i][t] != 0) {
                    stats.addGap(Math.abs(trainerLogp[i][t] - samplerLogp[i][t]));
                }
                w[i][t] = bound(Math.exp(d));
            }
            if (mode.sequence()) {
                double seq = bound(Math.exp(seqDiff));
                java.util.Arrays.fill(w[i], seq);
                stats.addRatio(seq);
            } else {
                for (int t = 0; t < len; t++) {
                    if (mask[i][t] != 0) {
                        stats.addRatio(w[i][t]);
                    }
                }
            }
            for (int t = 0; t < len; t++) {
                if (mask[i][t] == 0) {
                    w[i][t] = 1;
                }
            }
        }
        return w;
    }

    private double bound(double ratio) {
        if (mode.truncate()) {
            return Math.max(clipMin, Math.min(clipMax, ratio));
        }
        return ratio < clipMin || ratio > clipMax ? 0.0 : ratio;
    }

    /** TRL's sampling/ metrics over a step. */
    public static final class Stats {
        private double gapSum;
        private double gapMax;
        private long gaps;
        private double ratioSum;
        private double ratioMin = Double.POSITIVE_INFINITY;
        private double ratioMax = Double.NEGATIVE_INFINITY;
        private long ratios;

        void addGap(double absDiff) {
            gapSum += absDiff;
            gapMax = Math.max(gapMax, absDiff);
            gaps++;
        }

        void addRatio(double r) {
            ratioSum += r;
            ratioMin = Math.min(ratioMin, r);
            ratioMax = Math.max(ratioMax, r);
            ratios++;
        }

        /** Puts sampling/sampling_logp_difference/mean|max and sampling/importance_sampling_ratio/min|mean|max. */
        public void putInto(Map<String, ? super Double> m) {
            m.put("sampling/sampling_logp_difference/mean", gaps == 0 ? 0.0 : gapSum / gaps);
            m.put("sampling/sampling_logp_difference/max", gapMax);
            m.put("sampling/importance_sampling_ratio/min", ratios == 0 ? 0.0 : ratioMin);
            m.put("sampling/importance_sampling_ratio/mean", ratios == 0 ? 0.0 : ratioSum / ratios);
            m.put("sampling/importance_sampling_ratio/max", ratios == 0 ? 0.0 : ratioMax);
        }
    }
}
