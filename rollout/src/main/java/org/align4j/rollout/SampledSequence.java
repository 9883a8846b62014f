package org.align4j.rollout;

import java.util.Arrays;
import java.util.SplittableRandom;

/** One completion while it is being sampled: its tokens so far, their log-probs, its generator and text. */
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
        return false;
    }

    boolean finished() {
        return finish != null;
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
