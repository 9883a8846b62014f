package org.align4j.rollout;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One completion while it is being sampled: its tokens so far, their log-probs, its generator and text. In a
 * multi-turn rollout ({@link TurnEnds}) a turn that ends with EOS may be answered: the answer's tokens are
 * appended (flagged as the environment's) and fed to the model, then sampling goes on.
 */
final class SampledSequence {
    final Prompt prompt;
    final int index;
    final SplittableRandom rng;
    private final int[] ids;
    private final double[] logProbs;
    private final int limit;
    private final int[] eosIds;
    private final CompletionText text;
    private int length;
    private FinishReason finish;
    /** Tokens of this completion already in the KV cache (fed to the model). */
    private int fed;
    /** Per token, whether the environment wrote it; null while none did. */
    private boolean[] fromEnvironment;
    /** Router record of each sampled token (see {@link Completion#withExpertChoices}); null when not recorded. */
    private int[][] experts;

    /**
     * @param limit  most tokens this completion may have (max_completion_length, or less near the end of the
     *               context)
     * @param text   its growing text, or null without a tokenizer
     */
    SampledSequence(Prompt prompt, int index, SplittableRandom rng, int limit, int[] eosIds, CompletionText text) {
        this.prompt = prompt;
        this.index = index;
        this.rng = rng;
        this.ids = new int[limit];
        this.logProbs = new double[limit];
        this.limit = limit;
        this.eosIds = eosIds;
        this.text = text;
    }

    /** Records the experts that routed the position predicting the next token (call before {@link #accept}). */
    void recordExperts(int[] choices) {
        if (experts == null) {
            experts = new int[limit][];
        }
        experts[length] = choices;
    }

    /** Records a sampled token; returns true when the completion has ended with it. */
    boolean accept(int token, double logProb) {
        ids[length] = token;
        logProbs[length] = logProb;
        length++;
        for (int eos : eosIds) {
            if (token == eos) {
                finish = FinishReason.EOS;
                return true;
            }
        }
        if (text != null && text.append(token)) {
            finish = FinishReason.STOP;
            length = text.tokensToKeep();
            return true;
        }
        if (length == limit) {
            finish = FinishReason.LENGTH;
            return true;
        }
        fed = length;
        return false;
    }

    /**
     * Continues a completion whose turn ended with EOS with the environment's answer: appends it and has the
     * EOS and the answer fed next. Returns false, and ends the completion at its length limit, when the answer
     * does not leave room for a token of the next turn.
     */
    boolean resume(int[] answer) {
        if (finish != FinishReason.EOS) {
            throw new IllegalStateException("only a turn that ended with EOS is answered");
        }
        if (fromEnvironment == null) {
            fromEnvironment = new boolean[limit];
        }
        int n = Math.min(answer.length, limit - length);
        for (int i = 0; i < n; i++) {
            ids[length] = answer[i];
            logProbs[length] = 0.0;
            fromEnvironment[length] = true;
            length++;
        }
        if (length >= limit) {
            finish = FinishReason.LENGTH;
            return false;
        }
        finish = null;
        fed = length - n - 1;
        return true;
    }

    /** Whether tokens are waiting to be fed (an answer, after the EOS before it) rather than sampled. */
    boolean feeding() {
        return fed < length;
    }

    /** The next token to feed while {@link #feeding()}. */
    int nextFed() {
        return ids[fed++];
    }

    /** The tokens so far (a copy). */
    int[] idsSoFar() {
        return Arrays.copyOf(ids, length);
    }

    /** Whether the environment wrote each token so far; null when it wrote none. */
    boolean[] fromEnvironment() {
        return fromEnvironment == null ? null : Arrays.copyOf(fromEnvironment, length);
    }

    boolean finished() {
        return finish != null;
    }

    /** Why it ended, or null while it goes on. */
    FinishReason finish() {
        return finish;
    }

    /** The token to feed the model next: the last one sampled. */
    int lastToken() {
        return ids[length - 1];
    }

    Completion toCompletion(long policyVersion) {
        Completion c = new Completion(prompt.id(), index, Arrays.copyOf(ids, length), Arrays.copyOf(logProbs, length),
                finish, policyVersion, text == null ? null : text.finish());
        return experts == null ? c : c.withExpertChoices(Arrays.copyOf(experts, length));
    }
}
