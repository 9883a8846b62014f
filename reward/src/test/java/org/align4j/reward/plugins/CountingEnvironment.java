package org.align4j.reward.plugins;

import org.align4j.rollout.tool.Environment;
import org.align4j.rollout.tool.ToolEnvironment;

import java.util.List;
import java.util.Map;

/** A user's environment that delegates to the config's tools and rewards each tool call with "per_call". */
public class CountingEnvironment implements Environment {

    public final Map<String, Object> args;
    public final ToolEnvironment tools;
    private int calls;

    public CountingEnvironment(Map<String, Object> args, ToolEnvironment tools) {
        this.args = args;
        this.tools = tools;
    }

    @Override
    public List<Map<String, Object>> toolSchemas() {
        return tools.toolSchemas();
    }

    @Override
    public void reset(String promptText, Map<String, Object> row) {
        calls = 0;
    }

    @Override
    public Step step(String assistantText) {
        Step s = tools.step(assistantText);
        calls += s.calls();
        return s;
    }

    @Override
    public Double reward() {
        return calls * ((Number) args.getOrDefault("per_call", 1.0)).doubleValue();
    }
}
