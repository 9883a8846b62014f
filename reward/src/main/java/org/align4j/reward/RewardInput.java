package org.align4j.reward;

import java.util.Map;
import java.util.Objects;

/**
 * What a reward sees of one completion: the prompt, the completion as text and as token ids, and
 * the dataset row it was sampled for (reference answer, unit tests, ...).
 *
 * <p>{@code tokenEndChars[i]} is the character offset in {@code completion} where token {@code i}
 * ends (exclusive). It lets process rewards map a step's end to a token index without knowing the
 * tokenizer; it may be {@code null} when the caller has no offsets (then step ends are reported as
 * {@code -1}). Arrays are not copied: callers must not change them after building the input.
 *
 * @param prompt         the prompt text
 * @param completion     the generated text
 * @param completionIds  the generated token ids, or {@code null} when unknown
 * @param tokenEndChars  per-token end offsets into {@code completion}, or {@code null}
 * @param row            the dataset row's fields; never {@code null}
 * @param environmentReward the reward a multi-turn environment gave the completion at the end of its episode
 *                       (read by the {@code environment} reward), or {@code null}
 */
public record RewardInput(String prompt, String completion, int[] completionIds, int[] tokenEndChars,
                          Map<String, Object> row, Double environmentReward) {

    /** An input without an environment's reward. */
    public RewardInput(String prompt, String completion, int[] completionIds, int[] tokenEndChars, Map<String, Object> row) {
        this(prompt, completion, completionIds, tokenEndChars, row, null);
    }

    public RewardInput {
        prompt = Objects.requireNonNullElse(prompt, "");
        completion = Objects.requireNonNullElse(completion, "");
        row = row == null ? Map.of() : row;
        if (completionIds != null && tokenEndChars != null && completionIds.length != tokenEndChars.length) {
            throw new IllegalArgumentException("tokenEndChars has " + tokenEndChars.length
                    + " entries but completionIds has " + completionIds.length);
        }
    }

    /** A text-only input (no token ids), as rule rewards and the CLI need. */
    public static RewardInput ofText(String prompt, String completion, Map<String, Object> row) {
        return new RewardInput(prompt, completion, null, null, row);
    }

    /**
     * The index of the token that contains the character just before {@code charEnd}, i.e. the
     * first token whose end offset is at or past {@code charEnd}; {@code -1} when this input has no
     * token offsets. A position past the last token maps to the last token.
     */
    public int tokenIndexEndingAt(int charEnd) {
        if (tokenEndChars == null || tokenEndChars.length == 0) {
            return -1;
        }
        int lo = 0;
        int hi = tokenEndChars.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (tokenEndChars[mid] >= charEnd) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
