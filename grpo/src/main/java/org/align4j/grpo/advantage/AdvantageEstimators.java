package org.align4j.grpo.advantage;

import org.align4j.policy.util.Registry;

/** The advantage estimators by {@code advantage_estimator} name (verl's names). */
public final class AdvantageEstimators {
    public static final Registry<AdvantageEstimator> REGISTRY =
            new Registry<AdvantageEstimator>("advantage_estimator", AdvantageEstimator::name)
                    .register(new GrpoAdvantage())
                    .register(new RlooAdvantage())
                    .register(new ReinforcePlusPlusAdvantage())
                    .register(new ReinforcePlusPlusBaselineAdvantage());

    private AdvantageEstimators() {
    }

    public static AdvantageEstimator get(String name) {
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
