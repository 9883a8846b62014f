package org.align4j.reward;

import org.align4j.policy.util.BadInputException;
import org.align4j.reward.code.PythonTool;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.rollout.tool.Tool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Tools from a config's {@code tools} list. An entry is a name or a class name, alone or as a map with its
 * settings: {@code python}, {@code {type: python, timeout_seconds: 10}}, {@code com.example.MyTool} or
 * {@code {class: com.example.MyTool, ...settings}}. Names are the built-in {@code python} ({@link PythonTool})
 * and every {@link Tool} registered for {@link ServiceLoader} (found by its {@link Tool#name()}); a class is a
 * public {@link Tool} with a public constructor taking {@code Map<String, Object>} (the entry's other keys) or
 * none, on the classpath ({@code plugins/*.jar}, {@code ALIGN4J_CLASSPATH}). Errors name the entry as
 * {@code tools[i]}.
 */
public final class ToolFactory {

    private ToolFactory() {
    }

    /** The tools of a config's list, each a String or a Map. */
    public static List<Tool> create(List<?> entries) {
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            try {
                out.add(create(entries.get(i)));
            } catch (BadInputException | IllegalArgumentException e) {
                throw new BadInputException("tools[" + i + "]: " + message(e), e);
            }
        }
        TreeSet<String> names = new TreeSet<>();
        for (Tool t : out) {
            if (!names.add(t.name())) {
                throw new BadInputException("tools: two tools are named '" + t.name() + "'");
            }
        }
        return out;
    }

    /** One tool: a name or class name, or a map with "type" (a name) or "class" and the tool's settings. */
    public static Tool create(Object entry) {
        Map<String, Object> settings = new LinkedHashMap<>();
        String type = null;
        String className = null;
        if (entry instanceof String s) {
            if (s.contains(".")) {
                className = s;
            } else {
                type = s;
            }
        } else if (entry instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                settings.put(String.valueOf(e.getKey()), e.getValue());
            }
            Object t = settings.remove("type");
            Object c = settings.remove("class");
            if ((t == null) == (c == null)) {
                throw new BadInputException("a tool entry needs exactly one of 'type' (" + known() + ") or 'class', got keys "
                        + new TreeSet<>(m.keySet().stream().map(String::valueOf).toList()));
            }
            type = t == null ? null : t.toString();
            className = c == null ? null : c.toString();
        } else {
            throw new BadInputException("a tool is a name (" + known() + "), a class name, or a map with 'type' or 'class', got "
                    + entry);
        }
        return className != null ? fromClass(className, settings) : byName(type, settings);
    }

    private static Tool byName(String name, Map<String, Object> settings) {
        if (name.equals(PythonTool.NAME)) {
            RewardParams p = new RewardParams("tool python", settings).allowOnly("timeout_seconds", "interpreter", "isolation");
            return new PythonTool(p.string("interpreter", null), Duration.ofSeconds(p.integer("timeout_seconds", 10, 1, 3600)),
                    p.choice("isolation", IsolationMode.AUTO));
        }
        for (Tool t : ServiceLoader.load(Tool.class)) {
            if (t.name().equals(name)) {
                if (!settings.isEmpty()) {
                    throw new BadInputException("tool '" + name + "' takes no settings, got " + new TreeSet<>(settings.keySet()));
                }
                return t;
            }
        }
        throw new BadInputException("unknown tool '" + name + "' (known: " + known() + "; or give your own class by its full "
                + "name, e.g. com.example.MyTool: a public class implementing " + Tool.class.getName()
                + " with a public constructor taking Map<String, Object> or none, in " + PluginClass.WHERE + ")");
    }

    private static Tool fromClass(String className, Map<String, Object> settings) {
        PluginClass<Tool> c = PluginClass.load(className, Tool.class);
        if (!settings.isEmpty() && !c.hasConstructor(Map.class)) {
            throw new BadInputException("class '" + className + "' takes no settings (it has no Map constructor) but the "
                    + "entry has " + new TreeSet<>(settings.keySet()));
        }
        return c.make(List.of(new Class<?>[] {Map.class}, new Class<?>[0]), List.of(new Object[] {settings}, new Object[0]));
    }

    /** The tool names: the built-in python and those registered for ServiceLoader. */
    static String known() {
        TreeSet<String> names = new TreeSet<>(List.of(PythonTool.NAME));
        for (Tool t : ServiceLoader.load(Tool.class)) {
            names.add(t.name());
        }
        return String.join(", ", names);
    }

    private static String message(RuntimeException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
