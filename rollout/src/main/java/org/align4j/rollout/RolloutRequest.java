package org.align4j.rollout;

import java.util.List;

/**
 * A request to the {@link RolloutService}: complete each prompt numGenerations times.
 *
 * @param prompts          the prompts, at least one
 * @param numGenerations   completions per prompt (TRL's num_generations, G), >= 1
 * @param params           how to sample
 * @param forPolicyVersion the policy version that will be trained on these completions; the service samples
 *                         them with weights no older than that minus its max staleness, waiting for a
 *                         publish if needed. {@link #ANY_VERSION}: whatever weights are published.
 * @param tools            multi-turn rollouts with tools, or null for one turn
 * @param firstPromptIndex the index of the first prompt in the batch it is part of, for the per-completion random
 *                         generators (seed, prompt index, index in group): a data-parallel rank samples its share of
 *                         a step's prompts exactly as one process sampling the whole step would (one turn only)
 */
public record RolloutRequest(List<Prompt> prompts, int numGenerations, SamplingParams params,
                             long forPolicyVersion, org.align4j.rollout.tool.ToolRollout tools, int firstPromptIndex) {

    /** Sample with whatever version is published now. */
    public static final long ANY_VERSION = Long.MIN_VALUE;

    public RolloutRequest {
        prompts = List.copyOf(prompts);
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("a rollout request needs at least one prompt");
        }
        if (numGenerations < 1) {
            throw new IllegalArgumentException("num_generations must be >= 1, got " + numGenerations);
        }
        if (params == null) {
            throw new IllegalArgumentException("sampling parameters must not be null");
        }
        if (firstPromptIndex < 0) {
            throw new IllegalArgumentException("firstPromptIndex must be >= 0, got " + firstPromptIndex);
        }
    }

    public RolloutRequest(List<Prompt> prompts, int numGenerations, SamplingParams params, long forPolicyVersion,
                          org.align4j.rollout.tool.ToolRollout tools) {
        this(prompts, numGenerations, params, forPolicyVersion, tools, 0);
    }

    /** A request served by whatever weights are published. */
    public static RolloutRequest of(List<Prompt> prompts, int numGenerations, SamplingParams params) {
        return new RolloutRequest(prompts, numGenerations, params, ANY_VERSION, null);
    }

    /** The same request, to be trained on by policy version v. */
    public RolloutRequest forVersion(long v) {
        return new RolloutRequest(prompts, numGenerations, params, v, tools, firstPromptIndex);
    }

    /** The same request, sampled in turns with tools ({@link org.align4j.rollout.tool.ToolRollout}); null for one turn. */
    public RolloutRequest withTools(org.align4j.rollout.tool.ToolRollout t) {
        return new RolloutRequest(prompts, numGenerations, params, forPolicyVersion, t, firstPromptIndex);
    }

    /** The same request, its first prompt being prompt {@code index} of a larger batch (see the record). */
    public RolloutRequest startingAtPrompt(int index) {
        return new RolloutRequest(prompts, numGenerations, params, forPolicyVersion, tools, index);
    }
}
