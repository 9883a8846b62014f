package org.align4j.examples.eval;

import java.util.Locale;
import org.align4j.reward.math.MathAnswerReward;
import org.align4j.reward.math.NumericAnswer;
import org.align4j.reward.math.Rational;

/**
 * Answer comparison for the metrics, delegated to the reward module so that evaluation and the GRPO reward
 * agree on what counts as the same answer: exact numbers ("29" = "29.0" = "58/2", "1,000" = "1000"), else
 * normalised text.
 */
public final class AnswerMatch {

    private AnswerMatch() {
    }

    /** Whether answer is present and equals the reference ({@link MathAnswerReward#sameAnswer}). */
    public static boolean equivalent(String answer, String reference) {
        return answer != null && !answer.isBlank() && reference != null
                && MathAnswerReward.sameAnswer(answer, reference);
    }

    /**
     * The key answers vote under: the exact value for numbers ("29.0" and "29" both give "29"), the
     * trimmed lower-case text with single spaces otherwise; null for null or blank (no answer, no vote).
     */
    public static String canonical(String answer) {
        if (answer == null || answer.isBlank()) {
            return null;
        }
        return NumericAnswer.parse(answer).map(Rational::toString).map(v -> "number:" + v)
                .orElseGet(() -> "text:" + answer.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
    }
}
