package org.align4j.grpo;

import org.align4j.rollout.tool.Environment;

import java.util.List;
import java.util.Map;

/**
 * Test environment, loaded by class name: answers every reply with a user turn of {@code args.answer} and
 * rewards the episode with the row's "weight" times (1 + the replies it was asked to step).
 */
public final class StepCountEnvironment implements Environment {

    private final String answer;
    private double weight;
    private int steps;

    public StepCountEnvironment(Map<String, Object> args) {
        answer = String.valueOf(args.getOrDefault("answer", "f"));
    }

    @Override
    public List<Map<String, Object>> toolSchemas() {
        return List.of();
    }

    @Override
    public void reset(String promptText, Map<String, Object> row) {
        weight = ((Number) row.get("weight")).doubleValue();
        steps = 0;
    }

    @Override
    public Step step(String assistantText) {
        steps++;
        return new Step(List.of(Map.of("role", "user", "content", answer)), false, 0, 0);
    }

    @Override
    public Double reward() {
        return weight * (1 + steps);
    }
}
