package org.align4j.rollout.tool;

import java.util.List;
import java.util.Map;

/**
 * What the policy interacts with during one multi-turn completion (TRL's {@code environment_factory}):
 * reset for a prompt and its data set row, a step on each reply of the model, which returns the messages
 * that answer it (tool results as {@code {"role": "tool", "content": ...}}, or any other role the chat
 * template renders, e.g. a {@code user} turn of feedback) or ends the episode, and a reward at the end,
 * which GRPO's {@code environment} reward function passes on. One instance serves one completion, on one
 * thread; a new one is made for each completion.
 *
 * <p>A GRPO config names an implementation by its class ({@code environment: com.example.MyEnv}): a public
 * class with a public constructor taking {@code (Map<String, Object> args, ToolEnvironment tools)} (the
 * plain tool environment of the config's {@code tools}, to delegate to), {@code (Map<String, Object> args)}
 * or none.
 */
public interface Environment {

    /** The tools' schemas the chat template shows the model (may be empty). */
    List<Map<String, Object>> toolSchemas();

    /**
     * Starts an episode for a prompt.
     *
     * @param promptText the prompt's text, or null when it was given as ids
     * @param row        the data set row it came from (e.g. its "answer"); empty when none; not to be changed
     */
    void reset(String promptText, Map<String, Object> row);

    /**
     * Answers the model's reply.
     *
     * @param assistantText the reply as decoded with its special tokens
     */
    Step step(String assistantText);

    /**
     * The episode's reward once it is over (asked once, after the last step; a reply cut at
     * max_completion_length is not stepped), or null when the environment gives none: the
     * {@code environment} reward function then abstains for this completion.
     */
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
