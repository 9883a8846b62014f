package org.align4j.reward.model;

import java.util.Arrays;
import java.util.List;
import org.align4j.policy.tokenizer.StreamingDecoder;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.ReasoningSteps;

/**
 * Turns a prompt and a completion into the token ids a reward model reads, and finds the positions it is
 * scored at. Training and scoring both go through here, so a model is always read the way it was trained:
 * the prompt encoded with special tokens, then the completion without, concatenated (as GRPO builds its
 * sequences). The ORM position is the last token; the PRM positions are the tokens that hold the last
 * character of each step ({@link ReasoningSteps}: non-blank lines).
 *
 * <p>A sequence longer than maxLength keeps its last maxLength tokens (the end is what an ORM reads); PRM
 * steps that end in the dropped part are read at the first kept token. {@link Encoded#truncated()} tells.
 */
public final class RewardEncoder {
    private final Tokenizer tokenizer;
    private final int maxLength;

    /** One encoded sample. stepPositions and stepCompletionTokens hold one entry per step, in step order. */
    public record Encoded(int[] ids, int promptLength, int[] stepPositions, int[] stepCompletionTokens,
                          int[] stepEndChars, boolean truncated) {
        /** The position an ORM is read at. */
        public int lastPosition() {
            return ids.length - 1;
        }

        public int steps() {
            return stepPositions.length;
        }
    }

    public RewardEncoder(Tokenizer tokenizer, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        }
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public int maxLength() {
        return maxLength;
    }

    public Encoded encode(String prompt, String completion) {
        return encode(prompt, completion, true);
    }

    /**
     * @param promptSpecialTokens encode the prompt with the tokenizer's special tokens (false for a prompt
     *                            rendered by a chat template, which writes its own)
     */
    public Encoded encode(String prompt, String completion, boolean promptSpecialTokens) {
        int[] p = tokenizer.encode(prompt, promptSpecialTokens);
        int[] c = completion.isEmpty() ? new int[0] : tokenizer.encode(completion, false);
        if (p.length + c.length == 0) {
            throw new IllegalArgumentException("prompt and completion are both empty");
        }
        int[] ids = Arrays.copyOf(p, p.length + c.length);
        System.arraycopy(c, 0, ids, p.length, c.length);
        int[] ends = tokenEnds(c, completion.length());
        List<ReasoningSteps.Step> steps = ReasoningSteps.split(completion);
        int[] completionTokens = new int[steps.size()];
        int[] positions = new int[steps.size()];
        int[] endChars = new int[steps.size()];
        for (int k = 0; k < steps.size(); k++) {
            endChars[k] = steps.get(k).end();
            completionTokens[k] = tokenEndingAt(ends, endChars[k]);
            positions[k] = p.length + completionTokens[k];
        }
        int cut = Math.max(0, ids.length - maxLength);
        if (cut > 0) {
            ids = Arrays.copyOfRange(ids, cut, ids.length);
            for (int k = 0; k < positions.length; k++) {
                positions[k] = Math.max(0, positions[k] - cut);
            }
        }
        return new Encoded(ids, Math.max(0, p.length - cut), positions, completionTokens, endChars, cut > 0);
    }

    /** Character offset in the completion where each of its tokens ends (clamped to the text). */
    private int[] tokenEnds(int[] ids, int textLength) {
        int[] ends = new int[ids.length];
        StreamingDecoder dec = tokenizer.streamingDecoder(true);
        int len = 0;
        for (int i = 0; i < ids.length; i++) {
            len += dec.next(ids[i]).length();
            ends[i] = Math.min(len, textLength);
        }
        return ends;
    }

    /** The first token whose end is at or past charEnd (the last token when none is). */
    private static int tokenEndingAt(int[] ends, int charEnd) {
        for (int i = 0; i < ends.length; i++) {
            if (ends[i] >= charEnd) {
                return i;
            }
        }
        return ends.length - 1;
    }
}
