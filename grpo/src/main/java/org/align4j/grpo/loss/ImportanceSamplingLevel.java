package org.align4j.grpo.loss;

import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/** TRL's {@code importance_sampling_level}: one importance weight per token, or one per sequence (GSPO). */
public enum ImportanceSamplingLevel {
    /** w_t = pi(y_t) / pi_old(y_t). */
    TOKEN,
    /** w = exp(mean over the completion's trained tokens of log(pi / pi_old)), for every token (GSPO). */
    SEQUENCE;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImportanceSamplingLevel parse(String s) {
        for (ImportanceSamplingLevel l : values()) {
            if (l.configName().equals(s)) {
                return l;
            }
        }
        throw new BadInputException("unknown importance_sampling_level '" + s + "' (known: token, sequence)");
    }
}
