package org.align4j.grpo.advantage;

import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/** TRL's {@code scale_rewards}: what the centred rewards of the grpo estimator are divided by. */
public enum ScaleRewards {
    /** The standard deviation of the prompt's group (DeepSeekMath). */
    GROUP,
    /** The standard deviation of the whole batch (PPO Lite, arXiv:2508.08221). */
    BATCH,
    /** Nothing: rewards are only centred (Dr. GRPO, arXiv:2503.20783). */
    NONE;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** group, batch or none; true and false are TRL's older spellings of group and none. */
    public static ScaleRewards parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "true":
                return GROUP;
            case "false":
                return NONE;
            default:
                for (ScaleRewards x : values()) {
                    if (x.configName().equals(v)) {
                        return x;
                    }
                }
                throw new BadInputException("unknown scale_rewards '" + s + "' (known: group, batch, none)");
        }
    }
}
