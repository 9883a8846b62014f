package org.align4j.dpo.kto;

import static org.align4j.dpo.loss.Logistic.sigmoid;

import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/**
 * The KTO loss of unpaired completions, each desirable or undesirable (Ethayarajh et al. 2024, eq. 7, as TRL's
 * KTOTrainer). With r = log pi(y|x) - log pi_ref(y|x) (sums over completion tokens) and z0 the reference point
 * (the batch's KL estimate, {@link #referencePoint}):
 *
 * <pre>
 *   desirable:   desirable_weight   x (1 - sigmoid(beta (r - z0)))
 *   undesirable: undesirable_weight x (1 - sigmoid(beta (z0 - r)))
 * </pre>
 *
 * averaged over the completions; z0 is a constant (no gradient flows through it). {@code apo_zero_unpaired} drops
 * z0 and uses 1 - sigmoid(beta r) and sigmoid(beta r) (APO-zero without pairs).
 */
public final class KtoLoss {

    /** TRL's KTO loss_type. */
    public enum Type {
        KTO, APO_ZERO_UNPAIRED;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Type parse(String s) {
            for (Type t : values()) {
                if (t.configName().equals(s)) {
                    return t;
                }
            }
            throw new BadInputException("unknown loss_type '" + s + "' (known: kto, apo_zero_unpaired)");
        }

        /** Whether it needs the KL reference point (and so the mismatched completions). */
        public boolean usesReferencePoint() {
            return this == KTO;
        }
    }

    private final Type type;
    private final double beta;
    private final double desirableWeight;
    private final double undesirableWeight;

    public KtoLoss(Type type, double beta, double desirableWeight, double undesirableWeight) {
        if (!(beta > 0) || !(desirableWeight > 0) || !(undesirableWeight > 0)) {
            throw new IllegalArgumentException("beta and the weights must be positive");
        }
        this.type = type;
        this.beta = beta;
        this.desirableWeight = desirableWeight;
        this.undesirableWeight = undesirableWeight;
    }

    public Type type() {
        return type;
    }

    public double beta() {
        return beta;
    }

    /**
     * The reference point z0 = max(0, mean(log pi(y'|x) - log pi_ref(y'|x))) over mismatched completions y' (each
     * prompt with another example's completion), TRL's estimate of KL(pi || pi_ref).
     */
    public static double referencePoint(double[] mismatchedLogp, double[] mismatchedRefLogp) {
        if (mismatchedLogp.length == 0) {
            return 0;
        }
        double s = 0;
        for (int i = 0; i < mismatchedLogp.length; i++) {
            s += mismatchedLogp[i] - mismatchedRefLogp[i];
        }
        return Math.max(0, s / mismatchedLogp.length);
    }

    /** Loss, gradient and implicit rewards of a (micro-)batch. */
    public static final class Result {
        /** This batch's share of the loss: the sum of weighted losses / totalExamples. */
        public double loss;
        /** The weighted loss of each completion. */
        public double[] exampleLoss;
        /** d(loss)/d(policy log-prob) per completion. */
        public double[] dLogp;
        /** beta (log pi - log pi_ref) per completion. */
        public double[] rewards;
    }

    /**
     * @param totalExamples completions in the whole optimizer batch, so that micro-batches add up to its mean
     */
    public Result compute(double[] logp, double[] refLogp, boolean[] desirable, double z0, int totalExamples) {
        int n = logp.length;
        Result r = new Result();
        r.exampleLoss = new double[n];
        r.dLogp = new double[n];
        r.rewards = new double[n];
        double scale = 1.0 / totalExamples;
        double point = type.usesReferencePoint() ? z0 : 0;
        for (int i = 0; i < n; i++) {
            double ratio = logp[i] - refLogp[i];
            r.rewards[i] = beta * ratio;
            double loss;
            double slope;
            if (desirable[i]) {
                double s = sigmoid(beta * (ratio - point));
                loss = desirableWeight * (1 - s);
                slope = -desirableWeight * beta * s * (1 - s);
            } else if (type == Type.KTO) {
                double s = sigmoid(beta * (point - ratio));
                loss = undesirableWeight * (1 - s);
                slope = undesirableWeight * beta * s * (1 - s);
            } else {
                double s = sigmoid(beta * ratio);
                loss = undesirableWeight * s;
                slope = undesirableWeight * beta * s * (1 - s);
            }
            r.exampleLoss[i] = loss;
            r.loss += scale * loss;
            r.dLogp[i] = scale * slope;
        }
        return r;
    }
}
