package org.align4j.grpo.kl;

import org.align4j.policy.util.Registry;

/** The KL estimators by {@code kl_estimator} name. */
public final class KlEstimators {
    public static final Registry<KlEstimator> REGISTRY = new Registry<KlEstimator>("kl_estimator", KlEstimator::name)
            .register(new K1())
            .register(new K2())
            .register(new K3());

    private KlEstimators() {
    }

    public static KlEstimator get(String name) {
        return REGISTRY.get(name);
    }

    /** The registered names, for {@code @AllowedValues} (the generated config reference and --list-keys). */
    public static final class Names implements java.util.function.Supplier<java.util.Collection<String>> {
        @Override
        public java.util.Collection<String> get() {
            return REGISTRY.names();
        }
    }
}
