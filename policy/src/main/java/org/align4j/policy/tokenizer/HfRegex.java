package org.align4j.policy.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regular expressions of a {@code tokenizer.json} (written for Oniguruma, which Hugging Face
 * tokenizers uses) with {@link java.util.regex}. The constructs these files use mean the same in both
 * once Java's character classes are Unicode-aware: {@code \s} is then White_Space (Oniguruma's set for
 * UTF-8), {@code \p{L}}/{@code \p{N}}/{@code \p{P}} are general categories, {@code (?i:...)} folds case
 * by Unicode rules, and lookahead and possessive quantifiers behave alike. One difference needs
 * rewriting: inside a bracket class Java reads {@code &&} as intersection, so a literal {@code &} there
 * is escaped.
 */
final class HfRegex {

    private HfRegex() {
    }

    static Pattern compile(String onigPattern) {
        try {
            return Pattern.compile(escapeAmpersandsInClasses(onigPattern), Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("regex not supported: " + e.getDescription() + " in /" + onigPattern + "/", e);
        }
    }

    /** A pattern that matches {@code literal} exactly (Split with a String pattern). */
    static Pattern literal(String literal) {
        return Pattern.compile(Pattern.quote(literal));
    }

    static String escapeAmpersandsInClasses(String p) {
        StringBuilder out = new StringBuilder(p.length() + 4);
        int depth = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                out.append(c).append(p.charAt(++i));
                continue;
            }
            if (c == '[') {
                depth++;
                out.append(c);
                // A ']' right after '[' or '[^' is a literal member, not the end of the class.
                if (i + 1 < p.length() && p.charAt(i + 1) == '^') {
                    out.append('^');
                    i++;
                }
                if (i + 1 < p.length() && p.charAt(i + 1) == ']') {
                    out.append("\\]");
                    i++;
                }
            } else if (c == ']' && depth > 0) {
                depth--;
                out.append(c);
            } else if (c == '&' && depth > 0) {
                out.append("\\&");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
