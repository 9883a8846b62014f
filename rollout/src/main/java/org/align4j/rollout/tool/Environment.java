package org.align4j.rollout.tool;

import java.util.List;
import java.util.Map;

/**
 * What the policy interacts with during one multi-turn completion (TRL's {@code environment_factory}):
 * reset for a prompt, a step on each reply of the model, which returns the messages that answer it (tool
 * results, as {@code {"role": "tool", "content": ...}}) or ends the episode, and a reward at the end.
 * One instance serves one completion, on one thread.
 */
public interface Environment {

    /** The tools' schemas the chat template shows the model (may be empty). */
    List<Map<String, Object>> toolSchemas();

    /** Starts an episode for a prompt (its text, or null when it was given as ids). */
    void reset(String promptText);

    /**
     * Answers the model's reply.
     *
     * @param assistantText the reply as decoded with its special tokens
     */
    Step step(String assistantText);

    /** The episode's reward once it is done, or null when the environment gives none (rewards then come from reward functions). */
    Double reward();

    /**
     * The messages that answer a reply, and whether the episode is over.
     *
     * @param calls    tool calls the reply made
     * @param failures calls that failed (unknown tool, bad arguments, an error)
     */
    record Step(List<Map<String, Object>> messages, boolean done, int calls, int failures) {
        public static Step finished() {
            return new Step(List.of(), true, 0, 0);
        }
    }
}
