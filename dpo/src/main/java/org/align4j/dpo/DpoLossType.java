package org.align4j.dpo;

import java.util.Arrays;
import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/**
 * The DPO objectives, named as TRL's {@code loss_type}. With z the difference of policy and reference
 * log-ratios of chosen over rejected (see {@link DpoLoss}):
 * <ul>
 *   <li>{@code sigmoid}: -log sigmoid(beta z) (Rafailov et al. 2023); with label_smoothing eps it is
 *       conservative DPO, -(1 - eps) log sigmoid(beta z) - eps log sigmoid(-beta z);</li>
 *   <li>{@code hinge}: max(0, 1 - beta z) (the SLiC loss);</li>
 *   <li>{@code ipo}: (z - 1 / (2 beta))^2 (Azar et al. 2023) on log-probs averaged over completion tokens,
 *       as TRL does, since IPO's regression target assumes lengths do not scale the log-ratio.</li>
 * </ul>
 */
public enum DpoLossType {
    SIGMOID, HINGE, IPO;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether sequence log-probs are token means (IPO) rather than sums. */
    public boolean averagesTokens() {
        return this == IPO;
    }

    public static DpoLossType parse(String name) {
        for (DpoLossType t : values()) {
            if (t.configName().equals(name)) {
                return t;
            }
        }
        throw new BadInputException("unknown loss_type '" + name + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(DpoLossType::configName).toList()) + ")");
    }
}
