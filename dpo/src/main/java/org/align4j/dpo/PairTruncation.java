package org.align4j.dpo;

import java.util.Arrays;
import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/**
 * Fits a pair into max_length tokens the way TRL's DPO tokenizer did (prompt first): when the prompt plus the
 * longer completion exceeds max_length, the prompt is cut to max_prompt_length tokens (its start kept for
 * {@code keep_start}, its end for {@code keep_end}); if that is still too long, both completions are cut to
 * max_length - max_prompt_length tokens from their end. Cutting the prompt first keeps the part being trained
 * on; keep_end (the default) keeps the prompt's last turn, which the completions answer.
 */
public final class PairTruncation {

    public enum Mode {
        KEEP_START, KEEP_END;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Mode parse(String name) {
            for (Mode m : values()) {
                if (m.configName().equals(name)) {
                    return m;
                }
            }
            throw new BadInputException("unknown truncation_mode '" + name + "' (known: keep_start, keep_end)");
        }
    }

    private final int maxLength;
    private final int maxPromptLength;
    private final Mode mode;

    public PairTruncation(int maxLength, int maxPromptLength, Mode mode) {
        if (maxPromptLength < 1 || maxPromptLength >= maxLength) {
            // completions must keep at least one token after the prompt has been cut
            throw new IllegalArgumentException("need 1 <= max_prompt_length < max_length, got " + maxPromptLength
                    + " and " + maxLength);
        }
        this.maxLength = maxLength;
        this.maxPromptLength = maxPromptLength;
        this.mode = mode;
    }

    /** The pair itself when it fits, else a truncated copy. */
    public PreferencePair apply(PreferencePair p) {
        int longer = Math.max(p.chosen().length, p.rejected().length);
        if (p.prompt().length + longer <= maxLength) {
            return p;
        }
        int[] prompt = p.prompt();
        if (prompt.length > maxPromptLength) {
            prompt = mode == Mode.KEEP_START ? Arrays.copyOf(prompt, maxPromptLength)
                    : Arrays.copyOfRange(prompt, prompt.length - maxPromptLength, prompt.length);
        }
        int[] chosen = p.chosen();
        int[] rejected = p.rejected();
        if (prompt.length + longer > maxLength) {
            int keep = maxLength - maxPromptLength;
            chosen = Arrays.copyOf(chosen, Math.min(chosen.length, keep));
            rejected = Arrays.copyOf(rejected, Math.min(rejected.length, keep));
        }
        // reference log-probs of the untruncated pair (if any) no longer apply
        return new PreferencePair(prompt, chosen, rejected, p.source());
    }

    public int maxLength() {
        return maxLength;
    }
}
