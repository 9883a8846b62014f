package org.align4j.grpo.kl;

/** k2 = (log pi - log pi_ref)^2 / 2: biased, low variance, >= 0; its gradient is that of the true KL's. */
public final class K2 implements KlEstimator {
    @Override
    public String name() {
        return "k2";
    }

    @Override
    public String description() {
        return "(log(pi / pi_ref))^2 / 2: biased, low variance, >= 0";
    }

    @Override
    public double value(double logp, double refLogp) {
        double d = logp - refLogp;
        return 0.5 * d * d;
    }

    @Override
    public double dLogp(double logp, double refLogp) {
        return logp - refLogp;
    }
}
