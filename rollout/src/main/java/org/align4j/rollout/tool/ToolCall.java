package org.align4j.rollout.tool;

import java.util.Map;

/**
 * One call the model wrote: the tool's name and its arguments.
 *
 * @param arguments the parsed arguments; null when they were not a JSON object
 * @param rawArguments the arguments as written, for error messages
 */
public record ToolCall(String name, Map<String, Object> arguments, String rawArguments) {
}
