package org.align4j.grpo.kl;

/**
 * k3 = pi_ref / pi - log(pi_ref / pi) - 1: unbiased, low variance, >= 0 (DeepSeekMath eq. 4, TRL's GRPO KL).
 * Unlike verl's low_var_kl it is not clamped, so its gradient is exact everywhere.
 */
public final class K3 implements KlEstimator {
    @Override
    public String name() {
        return "k3";
    }

    @Override
    public String description() {
        return "pi_ref/pi - log(pi_ref/pi) - 1: unbiased, low variance, >= 0 (DeepSeekMath, TRL)";
    }

    @Override
    public double value(double logp, double refLogp) {
        double d = refLogp - logp;
        return Math.exp(d) - d - 1;
    }

    @Override
    public double dLogp(double logp, double refLogp) {
        return 1 - Math.exp(refLogp - logp);
    }
}
