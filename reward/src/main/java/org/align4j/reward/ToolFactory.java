package org.align4j.reward;

import org.align4j.reward.code.PythonTool;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.rollout.tool.Tool;
import org.align4j.policy.util.BadInputException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Tools by name, for configs ({@code tools: [{type: python, timeout_seconds: 10}]}): the built-in
 * {@code python} ({@link PythonTool}) and every {@link Tool} on the class path registered for
 * {@link ServiceLoader} (a class with a no-argument constructor, found by its {@link Tool#name()}).
 */
public final class ToolFactory {

    private ToolFactory() {
    }

    /** The tools of {@code specs}, each a map with a "type". */
    public static List<Tool> create(List<Map<String, Object>> specs) {
        List<Tool> out = new ArrayList<>();
        for (Map<String, Object> spec : specs) {
            out.add(create(spec));
        }
        return out;
    }

    public static Tool create(Map<String, Object> spec) {
        Object type = spec.get("type");
        if (!(type instanceof String name)) {
            throw new BadInputException("tools: each tool needs a \"type\" (known: " + known() + ")");
        }
        if (name.equals("python")) {
            RewardParams p = new RewardParams("tool python", spec).allowOnly("type", "timeout_seconds", "interpreter", "isolation");
            return new PythonTool(p.string("interpreter", null), Duration.ofSeconds(p.integer("timeout_seconds", 10, 1, 3600)),
                    p.choice("isolation", IsolationMode.AUTO));
        }
        for (Tool t : ServiceLoader.load(Tool.class)) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new BadInputException("tools: unknown tool type '" + name + "' (known: " + known() + ")");
    }

    private static String known() {
        TreeSet<String> names = new TreeSet<>(List.of("python"));
        for (Tool t : ServiceLoader.load(Tool.class)) {
            names.add(t.name());
        }
        return String.join(", ", names);
    }
}
