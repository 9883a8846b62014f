package org.align4j.rollout;

import java.util.Locale;

/** Why a completion ended (the names vLLM and TRL report). */
public enum FinishReason {
    /** An end-of-sequence token was sampled; it is the completion's last id. */
    EOS,
    /** A stop string appeared in the text; the text ends right before it. */
    STOP,
    /** max_completion_length new tokens were sampled, or the context is full. */
    LENGTH;

    /** "eos", "stop" or "length", as written to JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
