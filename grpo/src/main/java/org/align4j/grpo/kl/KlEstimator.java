package org.align4j.grpo.kl;

/**
 * A per-token estimator of KL(pi || pi_ref) from the sampled token's log-probs under both (Schulman 2020,
 * "Approximating KL divergence"), selected by {@code kl_estimator}; {@link KlEstimators} lists them. Its value
 * and its derivative with respect to the policy log-prob (the reference is frozen).
 */
public interface KlEstimator {

    /** The {@code kl_estimator} value that selects it. */
    String name();

    /** One line: the formula and its properties. */
    String description();

    double value(double logp, double refLogp);

    /** d value / d logp. */
    double dLogp(double logp, double refLogp);
}
