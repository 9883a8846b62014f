package org.align4j.reward;

import org.align4j.policy.util.BadInputException;
import org.align4j.rollout.tool.Environment;
import org.align4j.rollout.tool.Tool;
import org.align4j.rollout.tool.ToolCallFormat;
import org.align4j.rollout.tool.ToolEnvironment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The environments of a config's {@code environment} key (TRL's {@code environment_factory}): the built-in
 * {@code tools} (plain tool use over the config's {@code tools}, {@link ToolEnvironment}), or a user's class,
 * by its full name ({@code environment: com.example.MyEnv}) or with arguments
 * ({@code environment: {class: com.example.MyEnv, args: {...}}}). The class is public, implements
 * {@link Environment} and has a public constructor taking {@code (Map<String, Object> args, ToolEnvironment tools)},
 * {@code (Map<String, Object> args)} or nothing; it is on the classpath ({@code plugins/*.jar},
 * {@code ALIGN4J_CLASSPATH}). A new instance is made for every completion. Errors name the key.
 */
public final class EnvironmentFactory {

    /** The built-in environment of plain tool use. */
    public static final String TOOLS = "tools";

    private static final Class<?>[] WITH_TOOLS = {Map.class, ToolEnvironment.class};
    private static final Class<?>[] WITH_ARGS = {Map.class};
    private static final Class<?>[] NONE = {};

    private EnvironmentFactory() {
    }

    /**
     * The environments of {@code entry} (null: plain tool use), each made fresh; one is made here so that a
     * bad class fails before the run starts.
     *
     * @param tools  the config's tools
     * @param format how the model family writes tool calls
     */
    public static Supplier<Environment> create(Object entry, List<Tool> tools, ToolCallFormat format) {
        Supplier<ToolEnvironment> plain = () -> new ToolEnvironment(tools, format);
        if (entry == null || TOOLS.equals(entry)) {
            return plain::get;
        }
        String className;
        Map<String, Object> args = new LinkedHashMap<>();
        if (entry instanceof String s) {
            if (!s.contains(".")) {
                throw new BadInputException("environment: unknown environment '" + s + "' (built-in: " + TOOLS
                        + ", plain tool use over the tools list; or give your own class by its full name, e.g. "
                        + "com.example.MyEnv: a public class implementing " + Environment.class.getName()
                        + " with a public constructor taking (Map<String, Object> args, ToolEnvironment tools), "
                        + "(Map<String, Object> args) or nothing, in " + PluginClass.WHERE + ")");
            }
            className = s;
        } else if (entry instanceof Map<?, ?> m) {
            TreeSet<String> keys = new TreeSet<>(m.keySet().stream().map(String::valueOf).toList());
            keys.removeAll(List.of("class", "args"));
            if (!keys.isEmpty()) {
                throw new BadInputException("environment: unknown key" + (keys.size() > 1 ? "s " : " ") + keys
                        + " (known: args, class)");
            }
            if (!(m.get("class") instanceof String c) || c.isBlank()) {
                throw new BadInputException("environment: 'class' must name your environment class, e.g. com.example.MyEnv");
            }
            className = c;
            Object a = m.get("args");
            if (a instanceof Map<?, ?> am) {
                am.forEach((k, v) -> args.put(String.valueOf(k), v));
            } else if (a != null) {
                throw new BadInputException("environment: 'args' must be a mapping, got " + a);
            }
        } else {
            throw new BadInputException("environment: must be a name (" + TOOLS + "), a class name or "
                    + "{class: ..., args: {...}}, got " + entry);
        }
        PluginClass<Environment> cls;
        try {
            cls = PluginClass.load(className, Environment.class);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("environment: " + e.getMessage(), e);
        }
        if (!tools.isEmpty() && !cls.hasConstructor(WITH_TOOLS)) {
            throw new BadInputException("environment: class '" + className + "' takes no tools (it has no public "
                    + "constructor (Map<String, Object> args, ToolEnvironment tools)) but the config lists tools");
        }
        if (!args.isEmpty() && !cls.hasConstructor(WITH_TOOLS) && !cls.hasConstructor(WITH_ARGS)) {
            throw new BadInputException("environment: class '" + className + "' takes no args (it has no Map constructor) "
                    + "but the entry has " + new TreeSet<>(args.keySet()));
        }
        Map<String, Object> frozen = java.util.Collections.unmodifiableMap(args);
        Supplier<Environment> make = () -> cls.make(List.of(WITH_TOOLS, WITH_ARGS, NONE),
                List.of(new Object[] {frozen, plain.get()}, new Object[] {frozen}, new Object[0]));
        try {
            make.get();
        } catch (IllegalArgumentException e) {
            throw new BadInputException("environment: " + e.getMessage(), e);
        }
        return make;
    }
}
