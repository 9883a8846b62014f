package org.align4j.policy.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regular expressions of a {@code tokenizer.json} (written for Oniguruma in its default Ruby
 * syntax, which Hugging Face tokenizers uses) with {@link java.util.regex}. The constructs these files use
 * mean the same in both once Java's character classes are Unicode-aware: {@code \s} is then White_Space
 * (Oniguruma's set for UTF-8), {@code \p{L}}/{@code \p{N}}/{@code \p{P}} are general categories,
 * {@code (?i:...)} folds case by Unicode rules, {@code &&} in a class is intersection in both, and
 * alternation, lookahead and possessive quantifiers behave alike.
 */
final class HfRegex {

    /**
     * GPT-2-style contractions, case-insensitive. Java would fold the case of the apostrophe at every
     * position of the text; the apostrophe has no case, so taking it out of the group means the same
     * and takes about a third less time on Qwen's pattern.
     */
    private static final String CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    private static final String CONTRACTIONS_FAST = "'(?i:s|t|re|ve|m|ll|d)";

    private HfRegex() {
    }

    static Pattern compile(String onigPattern) {
        try {
            return Pattern.compile(onigPattern.replace(CONTRACTIONS, CONTRACTIONS_FAST), Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("regex not supported: " + e.getDescription() + " in /" + onigPattern + "/", e);
        }
    }

    /** A pattern that matches {@code literal} exactly (Split with a String pattern). */
    static Pattern literal(String literal) {
        return Pattern.compile(Pattern.quote(literal));
    }
}
