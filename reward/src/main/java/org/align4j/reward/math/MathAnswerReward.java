package org.align4j.reward.math;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import org.align4j.reward.PerCompletionReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;

/**
 * 1 when the completion's final answer ({@link FinalAnswer#extract}) equals the row's reference
 * answer as an exact number ({@link NumericAnswer}), else 0; abstains on rows without a reference.
 * A reference that is itself a worked solution (GSM8K's {@code "... #### 72"}) is reduced to its
 * final answer first. When either side is not a number the two are compared as normalised text.
 *
 * <p>Config: {@code {type: math_answer, answer_key: answer}}.
 */
public final class MathAnswerReward implements PerCompletionReward {

    public static final String TYPE = "math_answer";

    private final String answerKey;

    public MathAnswerReward() {
        this(Map.of());
    }

    public MathAnswerReward(Map<String, Object> params) {
        RewardParams p = new RewardParams(TYPE, params).allowOnly("answer_key");
        this.answerKey = p.string("answer_key", "answer");
    }

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public Double scoreOne(RewardInput input) {
        Object reference = input.row().get(answerKey);
        if (reference == null) {
            return null;
        }
        Optional<FinalAnswer> answer = FinalAnswer.extract(input.completion());
        return answer.isPresent() && sameAnswer(answer.get().text(), reference) ? 1.0 : 0.0;
    }

    /** Whether an extracted answer text equals a reference (a number or a string). */
    public static boolean sameAnswer(String answer, Object reference) {
        Optional<Rational> expected = referenceValue(reference);
        Optional<Rational> actual = NumericAnswer.parse(answer);
        if (expected.isPresent() || actual.isPresent()) {
            return expected.isPresent() && expected.equals(actual);
        }
        return NumericAnswer.normalize(answer).equalsIgnoreCase(NumericAnswer.normalize(referenceText(reference)));
    }

    private static Optional<Rational> referenceValue(Object reference) {
        if (reference instanceof Integer || reference instanceof Long || reference instanceof Short) {
            return Optional.of(Rational.of(((Number) reference).longValue()));
        }
        if (reference instanceof BigInteger b) {
            return Optional.of(Rational.of(b, BigInteger.ONE));
        }
        if (reference instanceof BigDecimal d) {
            return Optional.of(Rational.of(d));
        }
        if (reference instanceof Double || reference instanceof Float) {
            double d = ((Number) reference).doubleValue();
            // Double.toString's shortest decimal is what the dataset author wrote (0.1, not 0.1000000000000000055...).
            return Double.isFinite(d) ? Optional.of(Rational.of(BigDecimal.valueOf(d))) : Optional.empty();
        }
        return NumericAnswer.parse(referenceText(reference));
    }

    private static String referenceText(Object reference) {
        String text = reference.toString();
        return FinalAnswer.extract(text).map(FinalAnswer::text).orElse(text);
    }
}
