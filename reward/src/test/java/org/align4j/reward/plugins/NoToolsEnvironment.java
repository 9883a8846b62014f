package org.align4j.reward.plugins;

import org.align4j.rollout.tool.Environment;

import java.util.List;
import java.util.Map;

/** An environment with only a no-argument constructor: it takes neither args nor tools. */
public class NoToolsEnvironment implements Environment {

    @Override
    public List<Map<String, Object>> toolSchemas() {
        return List.of();
    }

    @Override
    public void reset(String promptText, Map<String, Object> row) {
    }

    @Override
    public Step step(String assistantText) {
        return Step.finished();
    }

    @Override
    public Double reward() {
        return 0.5;
    }
}
