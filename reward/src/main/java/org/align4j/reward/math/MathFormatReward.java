package org.align4j.reward.math;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.reward.PerCompletionReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;

/**
 * 1 when a completion is reasoning followed by exactly one final answer at its very end, else 0:
 * at least {@code min_reasoning_chars} non-blank characters before the marker, exactly one marker
 * of the accepted kind(s) in the whole completion, a non-empty answer, and nothing after the answer
 * except whitespace and closing punctuation ({@code . $ \] \) *}). Never abstains.
 *
 * <p>Config: {@code {type: math_format, marker: any|boxed|hashes|answer_is, min_reasoning_chars: 1}}.
 */
public final class MathFormatReward implements PerCompletionReward {

    public static final String TYPE = "math_format";

    /** Which final-answer markers the format accepts. */
    public enum Accepted { ANY, BOXED, HASHES, ANSWER_IS }

    private final Accepted accepted;
    private final int minReasoningChars;

    public MathFormatReward() {
        this(Map.of());
    }

    public MathFormatReward(Map<String, Object> params) {
        RewardParams p = new RewardParams(TYPE, params).allowOnly("marker", "min_reasoning_chars");
        this.accepted = p.choice("marker", Accepted.ANY);
        this.minReasoningChars = p.integer("min_reasoning_chars", 1, 0, Integer.MAX_VALUE);
    }

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public Double scoreOne(RewardInput input) {
        return follows(input.completion()) ? 1.0 : 0.0;
    }

    /** Whether {@code completion} follows the reasoning-then-one-answer format. */
    public boolean follows(String completion) {
        List<FinalAnswer> markers = FinalAnswer.findAll(completion);
        if (markers.size() != 1) {
            return false;
        }
        FinalAnswer answer = markers.get(0);
        if (accepted != Accepted.ANY && !answer.marker().name().equals(accepted.name())) {
            return false;
        }
        if (answer.text().isEmpty()) {
            return false;
        }
        String reasoning = completion.substring(0, answer.start()).replaceAll("\\s+", "");
        String after = completion.substring(answer.end()).replaceAll("[\\s.$*)\\]\\\\]", "");
        return reasoning.length() >= minReasoningChars && after.isEmpty();
    }

    @Override
    public String toString() {
        return TYPE + "(" + accepted.name().toLowerCase(Locale.ROOT) + ")";
    }
}
