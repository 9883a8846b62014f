package org.align4j.grpo;

import java.util.Locale;

/** How per-token losses are averaged, as TRL's {@code loss_type}. */
public enum LossType {
    /** DeepSeekMath: mean over each completion's tokens, then mean over completions. */
    GRPO,
    /** Dr. GRPO: sum over all tokens divided by (completions x max_completion_length); no length bias. */
    DR_GRPO,
    /** DAPO: sum over all tokens divided by the number of tokens in the batch (token-level mean). */
    DAPO;

    public static LossType parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown loss_type '" + s + "' (grpo, dr_grpo, dapo)");
        }
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
