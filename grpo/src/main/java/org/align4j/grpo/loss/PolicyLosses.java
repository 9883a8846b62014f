package org.align4j.grpo.loss;

import org.align4j.policy.util.Registry;

/** The GRPO policy losses by {@code loss_type} name. Register a new one here (one line) or at run time. */
public final class PolicyLosses {
    public static final Registry<PolicyLoss> REGISTRY = new Registry<PolicyLoss>("loss_type", PolicyLoss::name)
            .register(new GrpoPolicyLoss())
            .register(new DrGrpoPolicyLoss())
            .register(new DapoPolicyLoss())
            .register(new BnpoPolicyLoss())
            .register(new CispoPolicyLoss());

    private PolicyLosses() {
    }

    /** The loss of that name; an unknown name lists the known ones. */
    public static PolicyLoss get(String name) {
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
