package org.align4j.reward.math;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a final answer as an exact number. Accepted forms: integers and decimals with an optional
 * sign ({@code -3}, {@code 0.5}, {@code .5}), thousands separators ({@code 1,234,567.5}, LaTeX
 * {@code 1{,}000}), fractions ({@code 3/4}, {@code -3 / 4}), LaTeX fractions ({@code \frac{3}{4}},
 * {@code \dfrac}, {@code \tfrac}, {@code \frac34}), each optionally wrapped in {@code $...$} and
 * followed by units in words ({@code 18 dollars}, {@code 5\text{ apples}}) or a percent or degree
 * sign, which are ignored. Anything else (an expression, two numbers) is not a number.
 */
public final class NumericAnswer {

    private static final String DECIMAL = "(?:\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?|\\.\\d+)";
    private static final String SIGNED = "[+-]?\\s*" + DECIMAL;
    private static final Pattern PLAIN = Pattern.compile("(" + SIGNED + ")");
    private static final Pattern SLASH = Pattern.compile("(" + SIGNED + ")\\s*/\\s*(" + SIGNED + ")");
    private static final Pattern FRAC = Pattern.compile("([+-]?)\\s*\\\\frac\\s*\\{\\s*(" + SIGNED + ")\\s*}\\s*\\{\\s*(" + SIGNED + ")\\s*}");
    private static final Pattern FRAC_SHORT = Pattern.compile("([+-]?)\\s*\\\\frac\\s*(\\d)\\s*(\\d)");
    private static final Pattern UNITS = Pattern.compile("\\s+[A-Za-z][A-Za-z\\s]*");
    private static final Pattern TEXT_COMMAND = Pattern.compile("\\\\(?:text|textrm|textbf|mathrm|mathbf|mbox)\\s*\\{([^{}]*)}");
    private static final Pattern SPACING = Pattern.compile("\\\\[!,;: ]|\\\\left|\\\\right|~|\\\\\\$|\\$|\\\\%|%|\\^\\s*\\{?\\\\circ}?|°");

    private NumericAnswer() {
    }

    /** The exact value of {@code text}, or empty when it is not a single number. */
    public static Optional<Rational> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = normalize(text);
        Optional<Rational> strict = parseStrict(s);
        if (strict.isPresent()) {
            return strict;
        }
        // "18 dollars": a number followed only by words.
        for (int end = s.length() - 1; end > 0; end--) {
            if (Character.isWhitespace(s.charAt(end)) && UNITS.matcher(s.substring(end)).matches()) {
                Optional<Rational> head = parseStrict(s.substring(0, end).trim());
                if (head.isPresent()) {
                    return head;
                }
            }
        }
        return Optional.empty();
    }

    /** Strips LaTeX spacing, dollar and percent signs, text wrappers and trailing punctuation. */
    static String normalize(String text) {
        String s = text.replace('\u2212', '-').replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
                .replace("{,}", ",");
        s = TEXT_COMMAND.matcher(s).replaceAll(m -> " " + Matcher.quoteReplacement(m.group(1)) + " ");
        s = SPACING.matcher(s).replaceAll(" ");
        s = s.strip();
        while (!s.isEmpty() && ".,;:!".indexOf(s.charAt(s.length() - 1)) >= 0) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return s.replaceAll("\\s+", " ");
    }

    private static Optional<Rational> parseStrict(String s) {
        try {
            Matcher m = PLAIN.matcher(s);
            if (m.matches()) {
                return Optional.of(decimal(m.group(1)));
            }
            m = SLASH.matcher(s);
            if (m.matches()) {
                return divide(decimal(m.group(1)), decimal(m.group(2)));
            }
            m = FRAC.matcher(s);
            if (!m.matches()) {
                m = FRAC_SHORT.matcher(s);
            }
            if (m.matches()) {
                Optional<Rational> value = divide(decimal(m.group(2)), decimal(m.group(3)));
                return m.group(1).equals("-") ? value.map(Rational::negate) : value;
            }
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<Rational> divide(Rational a, Rational b) {
        return b.equals(Rational.ZERO) ? Optional.empty() : Optional.of(a.divide(b));
    }

    private static Rational decimal(String text) {
        return Rational.of(new BigDecimal(text.replace(",", "").replaceAll("\\s+", "").replace("+", "")));
    }
}
