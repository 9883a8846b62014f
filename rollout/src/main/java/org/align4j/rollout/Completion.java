package org.align4j.rollout;

import java.util.Arrays;

/**
 * One sampled completion: its token ids, the log-prob of each under the sampling policy (the "old"
 * log-probs of GRPO's ratio), why it ended, and where it came from. Immutable.
 *
 * <p>{@code logProbs[i]} is log softmax(logits / temperature)[ids[i]] of the policy that sampled it, before
 * any top-k/top-p truncation, which is what a teacher-forced forward pass of the trainer computes for the
 * same token at the same temperature (greedy decoding records temperature 1). So with one update per batch
 * the first GRPO ratio is exactly 1.
 */
public final class Completion {
    private final String promptId;
    private final int index;
    private final int[] ids;
    private final double[] logProbs;
    private final FinishReason finishReason;
    private final long policyVersion;
    private final String text;
    private final boolean[] fromEnvironment;
    private final int toolCalls;
    private final int toolFailures;
    private final Double environmentReward;
    /** Router record: per token, the experts of each MoE layer ([layer * k + j]); null when not recorded. */
    private int[][] expertChoices;

    public Completion(String promptId, int index, int[] ids, double[] logProbs, FinishReason finishReason,
                      long policyVersion, String text) {
        this(promptId, index, ids, logProbs, finishReason, policyVersion, text, null, 0, 0);
    }

    /**
     * A multi-turn completion: the model's tokens interleaved with those of tool results.
     *
     * @param fromEnvironment for each id, whether the environment wrote it (tool results and the chat
     *                        template's markers around them) rather than the policy; null when none did.
     *                        Those tokens are outside the loss and the KL.
     * @param toolCalls       tool calls the policy made
     * @param toolFailures    of those, the ones that failed
     */
    public Completion(String promptId, int index, int[] ids, double[] logProbs, FinishReason finishReason,
                      long policyVersion, String text, boolean[] fromEnvironment, int toolCalls, int toolFailures) {
        this(promptId, index, ids, logProbs, finishReason, policyVersion, text, fromEnvironment, toolCalls, toolFailures, null);
    }

    /**
     * A multi-turn completion with the reward its environment gave at the end of the episode.
     *
     * @param environmentReward {@link org.align4j.rollout.tool.Environment#reward()}, or null when it gave none
     */
    public Completion(String promptId, int index, int[] ids, double[] logProbs, FinishReason finishReason,
                      long policyVersion, String text, boolean[] fromEnvironment, int toolCalls, int toolFailures,
                      Double environmentReward) {
        if (ids.length != logProbs.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + logProbs.length + " log-probs");
        }
        if (fromEnvironment != null && fromEnvironment.length != ids.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + fromEnvironment.length + " environment flags");
        }
        this.fromEnvironment = fromEnvironment == null ? null : fromEnvironment.clone();
        this.toolCalls = toolCalls;
        this.toolFailures = toolFailures;
        this.environmentReward = environmentReward;
        this.promptId = promptId;
        this.index = index;
        this.ids = ids.clone();
        this.logProbs = logProbs.clone();
        this.finishReason = finishReason;
        this.policyVersion = policyVersion;
        this.text = text;
    }

    /** The id of the prompt this completes. */
    public String promptId() {
        return promptId;
    }

    /** Index of this completion in its group, 0 to num_generations - 1. */
    public int index() {
        return index;
    }

    /** The sampled token ids (a copy); an EOS token that ended it is included. */
    public int[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }

    /** Per-token log-probs under the sampling policy (a copy), see the class comment. */
    public double[] logProbs() {
        return logProbs.clone();
    }

    public FinishReason finishReason() {
        return finishReason;
    }

    /** Version of the weights that sampled this completion (as published to the rollout service). */
    public long policyVersion() {
        return policyVersion;
    }

    /** Whether token i was written by the environment (a tool result), not sampled from the policy. */
    public boolean fromEnvironment(int i) {
        return fromEnvironment != null && fromEnvironment[i];
    }

    /** Tool calls the policy made in this completion. */
    public int toolCalls() {
        return toolCalls;
    }

    /** Tool calls that failed. */
    public int toolFailures() {
        return toolFailures;
    }

    /** The environment's reward at the end of the episode, or null (single-turn, or an environment that gives none). */
    public Double environmentReward() {
        return environmentReward;
    }

    /**
     * This completion with a router record (DeepSeekMoE): for each token i, the experts each MoE layer chose
     * ([layer * k + j]) at the position that predicted it (the last prompt token for token 0), as the sampling
     * policy routed. The trainer measures, or replays, its own routing against it.
     */
    public Completion withExpertChoices(int[][] choices) {
        if (choices != null && choices.length != ids.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + choices.length + " router records");
        }
        Completion c = new Completion(promptId, index, ids, logProbs, finishReason, policyVersion, text,
                fromEnvironment, toolCalls, toolFailures, environmentReward);
        c.expertChoices = choices;
        return c;
    }

    /** The router record (see {@link #withExpertChoices}), or null. Not a copy: do not modify. */
    public int[][] expertChoices() {
        return expertChoices;
    }

    /** The decoded text without special tokens (cut before a stop string), or null without a tokenizer. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return "Completion[" + promptId + "#" + index + ", " + finishReason.label() + ", ids="
                + Arrays.toString(ids) + "]";
    }
}
