package org.align4j.grpo.kl;

/** k1 = log pi - log pi_ref: unbiased, high variance, can be negative. */
public final class K1 implements KlEstimator {
    @Override
    public String name() {
        return "k1";
    }

    @Override
    public String description() {
        return "log(pi / pi_ref): unbiased, high variance, may be negative";
    }

    @Override
    public double value(double logp, double refLogp) {
        return logp - refLogp;
    }

    @Override
    public double dLogp(double logp, double refLogp) {
        return 1.0;
    }
}
