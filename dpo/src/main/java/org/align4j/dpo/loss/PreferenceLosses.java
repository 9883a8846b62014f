package org.align4j.dpo.loss;

import org.align4j.policy.util.Registry;

/** The preference losses by {@code loss_type} name (TRL's DPOTrainer names, and CPO's simpo). */
public final class PreferenceLosses {
    public static final Registry<PreferenceLoss> REGISTRY = new Registry<PreferenceLoss>("loss_type", PreferenceLoss::name)
            .register(new SigmoidLoss())
            .register(new HingeLoss())
            .register(new IpoLoss())
            .register(new ExoPairLoss())
            .register(new NcaPairLoss())
            .register(new RobustLoss())
            .register(new BcoPairLoss())
            .register(new SppoHardLoss())
            .register(new ApoZeroLoss())
            .register(new ApoDownLoss())
            .register(new SigmoidNormLoss())
            .register(new SimpoLoss());

    private PreferenceLosses() {
    }

    public static PreferenceLoss get(String name) {
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
