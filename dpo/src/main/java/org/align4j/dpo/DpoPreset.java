package org.align4j.dpo;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/**
 * Named sets of DPO settings, applied as {@code key=value} overrides after the config file and before the
 * command line's own {@code --set}s.
 */
public enum DpoPreset {
    /**
     * DeepSeek LLM's DPO stage (DeepSeek-AI 2024, section 5): learning rate 5e-6 for one epoch, with warmup
     * and then a cosine schedule. The paper gives no warmup length; 10% of the steps is our choice. Its batch of
     * 512 pairs is left to batch_size x gradient_accumulation_steps, since it depends on the machine.
     */
    DEEPSEEK(List.of("learning_rate=5e-6", "num_train_epochs=1", "max_steps=-1", "lr_scheduler_type=cosine",
            "warmup_ratio=0.1", "warmup_steps=0"));

    private final List<String> overrides;

    DpoPreset(List<String> overrides) {
        this.overrides = overrides;
    }

    /** The settings as ConfigLoader overrides ("key=value"). */
    public List<String> overrides() {
        return overrides;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DpoPreset parse(String name) {
        for (DpoPreset p : values()) {
            if (p.configName().equals(name)) {
                return p;
            }
        }
        throw new BadInputException("unknown preset '" + name + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(DpoPreset::configName).toList()) + ")");
    }
}
