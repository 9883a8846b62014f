package org.align4j.examples.eval;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * Compares final answers as numbers when both read as plain decimals ("29" equals "29.0", "1,000" equals
 * "1000"), else as trimmed text. Deliberately small: the reward module's comparator handles fractions, LaTeX
 * and units; these generated problems only ever have whole-number answers.
 */
public final class AnswerMatch {

    // No exponents: "1e999999999" would expand to a billion digits in toPlainString.
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)");
    private static final Pattern GROUPED = Pattern.compile("[-+]?\\d{1,3}(,\\d{3})+(\\.\\d*)?");

    private AnswerMatch() {
    }

    /** Whether both are answers and they are the same number (or the same text). */
    public static boolean equivalent(String a, String b) {
        String ca = canonical(a);
        return ca != null && ca.equals(canonical(b));
    }

    /**
     * The form answers are grouped by: a plain decimal without trailing zeros for numbers ("29.0" -> "29",
     * "-0" -> "0"), the trimmed text otherwise; null for null or blank (no answer).
     */
    public static String canonical(String answer) {
        if (answer == null || answer.isBlank()) {
            return null;
        }
        String t = answer.trim();
        String digits = GROUPED.matcher(t).matches() ? t.replace(",", "") : t;
        if (!DECIMAL.matcher(digits).matches()) {
            return t;
        }
        BigDecimal v = new BigDecimal(digits);
        return v.signum() == 0 ? "0" : v.stripTrailingZeros().toPlainString();
    }
}
