package org.align4j.rollout.tool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment of plain tool use: each reply's tool calls are parsed in the model family's format and
 * run; their results (or an error text) are the next messages; a reply without tool calls ends the episode.
 * It gives no reward of its own. Stateless, so an environment of your own may delegate its steps to one.
 */
public final class ToolEnvironment implements Environment {

    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final ToolCallFormat format;

    public ToolEnvironment(List<Tool> tools, ToolCallFormat format) {
        for (Tool t : tools) {
            if (this.tools.put(t.name(), t) != null) {
                throw new IllegalArgumentException("two tools are named '" + t.name() + "'");
            }
        }
        this.format = format;
    }

    @Override
    public List<Map<String, Object>> toolSchemas() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Tool t : tools.values()) {
            out.add(t.schema());
        }
        return out;
    }

    @Override
    public void reset(String promptText, Map<String, Object> row) {
    }

    @Override
    public Step step(String assistantText) {
        List<ToolCall> calls = format.parse(assistantText);
        if (calls.isEmpty()) {
            return Step.finished();
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        int failures = 0;
        for (ToolCall call : calls) {
            String result;
            boolean failed = true;
            Tool tool = call.name() == null ? null : tools.get(call.name());
            if (call.name() == null) {
                result = "Error: the tool call is not valid JSON with a \"name\": " + call.rawArguments();
            } else if (tool == null) {
                result = "Error: no tool named '" + call.name() + "' (tools: " + String.join(", ", tools.keySet()) + ")";
            } else if (call.arguments() == null) {
                result = "Error: the arguments of '" + call.name() + "' are not a JSON object: " + call.rawArguments();
            } else {
                try {
                    result = tool.call(call.arguments());
                    failed = false;
                } catch (ToolException e) {
                    result = "Error: " + e.getMessage();
                } catch (RuntimeException e) {
                    result = "Error: " + e;
                }
            }
            if (failed) {
                failures++;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", "tool");
            m.put("name", call.name() == null ? "" : call.name());
            m.put("content", result);
            messages.add(m);
        }
        return new Step(messages, false, calls.size(), failures);
    }

    @Override
    public Double reward() {
        return null;
    }
}
