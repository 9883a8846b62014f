package org.align4j.reward.model;

import java.util.Locale;

/**
 * What a reward model scores: the whole completion (outcome reward model, scored at the last token) or each
 * reasoning step (process reward model, scored at the token that ends each line of the completion).
 */
public enum RewardModelKind {
    ORM, PRM;

    /** The name used in configs and {@code reward_model.json}: {@code orm} or {@code prm}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code orm} / {@code prm} (any case); the message lists the choices. */
    public static RewardModelKind parse(String s) {
        if (s != null) {
            for (RewardModelKind k : values()) {
                if (k.key().equalsIgnoreCase(s.trim())) {
                    return k;
                }
            }
        }
        throw new IllegalArgumentException("kind must be orm or prm, got '" + s + "'");
    }
}
