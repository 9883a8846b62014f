package org.align4j.rollout.tool;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A function the policy may call while it completes a prompt (TRL's {@code tools}): a name, a description
 * and a JSON schema of its arguments, which the chat template shows the model, and a call that returns
 * text, which goes back to the model as the tool's message. Implementations are found by
 * {@link java.util.ServiceLoader} under this interface's name, or handed to {@link ToolEnvironment} directly.
 * A call may run on several threads at once.
 */
public interface Tool {

    /** The name the model calls it by. */
    String name();

    /** What it does, for the model. */
    String description();

    /** The JSON schema of its arguments ({@code {"type": "object", "properties": {...}, "required": [...]}}). */
    Map<String, Object> parameters();

    /**
     * Runs the tool.
     *
     * @param arguments the arguments the model wrote, parsed from JSON
     * @return the text the model reads back
     * @throws ToolException when the call fails in a way the model should be told about (bad arguments, an error)
     */
    String call(Map<String, Object> arguments) throws ToolException;

    /** The tool as transformers' chat templates take it: {@code {"type": "function", "function": {...}}}. */
    default Map<String, Object> schema() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name());
        function.put("description", description());
        function.put("parameters", parameters());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "function");
        out.put("function", function);
        return out;
    }
}
