package org.align4j.reward.plugins;

import org.align4j.rollout.tool.Tool;

import java.util.Map;

/** A user's tool as a config names it by class: returns its "text" argument behind a configurable prefix. */
public class EchoTool implements Tool {

    private final String prefix;

    public EchoTool(Map<String, Object> settings) {
        prefix = String.valueOf(settings.getOrDefault("prefix", ""));
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public String description() {
        return "Echoes text.";
    }

    @Override
    public Map<String, Object> parameters() {
        return Map.of("type", "object", "properties", Map.of("text", Map.of("type", "string")));
    }

    @Override
    public String call(Map<String, Object> arguments) {
        return prefix + arguments.get("text");
    }
}
