package org.align4j.rollout;

import java.util.List;

/**
 * The num_generations completions of one prompt, all sampled by the same policy version (GRPO normalises
 * rewards within such a group).
 *
 * @param prompt        the prompt
 * @param completions   the completions, by index
 * @param policyVersion version of the weights that sampled them
 */
public record CompletionGroup(Prompt prompt, List<Completion> completions, long policyVersion) {

    public CompletionGroup {
        completions = List.copyOf(completions);
    }

    public int size() {
        return completions.size();
    }

    public Completion get(int index) {
        return completions.get(index);
    }
}
