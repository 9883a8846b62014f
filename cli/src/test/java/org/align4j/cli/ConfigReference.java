package org.align4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.align4j.policy.train.AllowedValues;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.TrainingConfig;

/**
 * Generates the config reference from the config classes: the help text is each field's javadoc (read from the
 * source files under the repository root), the key its snake_case name as {@link ConfigLoader} spells it, the
 * type and default come from reflection on a fresh instance, the allowed values from {@link AllowedValues}.
 * Writes the resources {@code --list-keys} reads ({@link ConfigKeys}) and docs/config-reference.md.
 */
final class ConfigReference {

    /** One key, with the class that declares its field (shared keys are TrainingConfig's). */
    record Row(ConfigKeys.Key key, Class<?> declaredIn) {
    }

    /** A public config field without javadoc: the reference cannot describe it. */
    record Undocumented(String key, String field) {
    }

    private final Path repoRoot;
    private final Map<Path, String> sources = new HashMap<>();
    final List<Undocumented> undocumented = new ArrayList<>();

    ConfigReference(Path repoRoot) {
        this.repoRoot = repoRoot;
    }

    /** The repository root seen from a module's test working directory (the module directory) or the root. */
    static Path findRepoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isDirectory(p.resolve("docs")) && Files.isDirectory(p.resolve("policy")))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("repository root (with docs/ and policy/) not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** The keys of config, shared (TrainingConfig) keys first, nested sections expanded as section.key. */
    List<Row> rows(Class<?> config) {
        List<Row> rows = new ArrayList<>();
        addRows(config, newInstance(config), "", rows);
        return rows;
    }

    private void addRows(Class<?> type, Object instance, String prefix, List<Row> rows) {
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            chain.add(0, c);
        }
        for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (!Modifier.isPublic(m) || Modifier.isStatic(m) || Modifier.isTransient(m)) {
                    continue;
                }
                String key = prefix + ConfigLoader.key(f.getName());
                String help = javadoc(f);
                if (help == null) {
                    undocumented.add(new Undocumented(key, c.getName() + "." + f.getName()));
                    help = "";
                }
                Object value = get(f, instance);
                if (isSection(f.getType())) {
                    rows.add(new Row(new ConfigKeys.Key(key, "section", value == null ? "unset" : "set", "",
                            help + " Its keys are " + key + ".*."), c));
                    addRows(f.getType(), value != null ? value : newInstance(f.getType()), key + ".", rows);
                } else {
                    rows.add(new Row(new ConfigKeys.Key(key, typeName(f.getGenericType()), render(value), allowed(f),
                            help), c));
                }
            }
        }
    }

    private static boolean isSection(Class<?> t) {
        return !t.isPrimitive() && !t.isEnum() && t.getName().startsWith("org.align4j.")
                && Arrays.stream(t.getFields()).anyMatch(f -> !Modifier.isStatic(f.getModifiers()));
    }

    private static Object get(Field f, Object instance) {
        try {
            return f.get(instance);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object newInstance(Class<?> c) {
        try {
            return c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("config class " + c.getName() + " needs a public no-argument constructor", e);
        }
    }

    static String typeName(Type t) {
        if (t instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            if (List.class.isAssignableFrom(raw)) {
                return "list[" + typeName(p.getActualTypeArguments()[0]) + "]";
            }
            if (Map.class.isAssignableFrom(raw)) {
                return "mapping";
            }
            return typeName(raw);
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) {
            return "string";
        }
        if (c == Object.class) {
            return "string or mapping";
        }
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
            return "int";
        }
        if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
            return "float";
        }
        if (c == boolean.class || c == Boolean.class) {
            return "bool";
        }
        if (Map.class.isAssignableFrom(c)) {
            return "mapping";
        }
        if (List.class.isAssignableFrom(c)) {
            return "list";
        }
        return c.getSimpleName();
    }

    /** A default as one would write it in YAML's flow style; unset for null. */
    static String render(Object v) {
        if (v == null) {
            return "unset";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            String s = Double.toString(d);
            if (s.contains("E")) {
                String[] me = s.split("E");
                String mant = me[0].endsWith(".0") ? me[0].substring(0, me[0].length() - 2) : me[0];
                return mant + "e" + me[1];
            }
            return s;
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(ConfigReference::render).collect(Collectors.joining(", ", "[", "]"));
        }
        if (v instanceof Map<?, ?> m) {
            return m.entrySet().stream().map(e -> e.getKey() + ": " + render(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        if (v instanceof String s && s.isEmpty()) {
            return "\"\"";
        }
        return v.toString();
    }

    @SuppressWarnings("unchecked")
    static String allowed(Field f) {
        AllowedValues a = f.getAnnotation(AllowedValues.class);
        if (a == null) {
            return "";
        }
        Class<?> c = a.value();
        List<String> names = new ArrayList<>();
        if (c.isEnum()) {
            for (Object e : c.getEnumConstants()) {
                names.add(((Enum<?>) e).name().toLowerCase(Locale.ROOT));
            }
        } else if (Supplier.class.isAssignableFrom(c)) {
            for (Object o : ((Supplier<? extends Collection<?>>) newInstance(c)).get()) {
                names.add(String.valueOf(o));
            }
        } else {
            throw new IllegalStateException("@AllowedValues on " + f + " names " + c.getName()
                    + ", neither an enum nor a Supplier of names");
        }
        return String.join(", ", names);
    }

    // ---- javadoc from the source files

    private String javadoc(Field f) {
        Class<?> outer = f.getDeclaringClass();
        while (outer.getEnclosingClass() != null) {
            outer = outer.getEnclosingClass();
        }
        String text = source(outer);
        int from = 0;
        if (f.getDeclaringClass() != outer) {
            Matcher cls = Pattern.compile("\\bclass\\s+" + f.getDeclaringClass().getSimpleName() + "\\b").matcher(text);
            if (!cls.find()) {
                throw new IllegalStateException("class " + f.getDeclaringClass().getSimpleName() + " not found in the source of " + outer.getName());
            }
            from = cls.end();
        }
        Matcher m = Pattern.compile("(?s)(?:/\\*\\*((?:(?!\\*/).)*)\\*/\\s*)?(?:@[\\w.]+(?:\\([^)]*\\))?\\s*)*"
                + "public\\s+(?!static\\b)(?:final\\s+)?[\\w<>,.?\\[\\]\\s]+?\\s+" + f.getName() + "\\s*[=;]").matcher(text);
        if (!m.find(from)) {
            throw new IllegalStateException("field " + f.getName() + " not found in the source of " + outer.getName());
        }
        return m.group(1) == null ? null : clean(m.group(1));
    }

    static String clean(String javadoc) {
        String s = Arrays.stream(javadoc.split("\n"))
                .map(l -> l.replaceFirst("^\\s*\\*\\s?", ""))
                .collect(Collectors.joining(" "));
        s = s.replaceAll("\\{@(?:link|linkplain)\\s+(?:[\\w.]*#)?([\\w.]+)(?:\\([^)]*\\))?(?:\\s+([^}]*))?}", "$1");
        s = s.replaceAll("\\{@(?:code|literal)\\s+([^}]*)}", "$1");
        s = s.replaceAll("<[^>]+>", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        return s.replaceAll("\\s+", " ").trim();
    }

    private String source(Class<?> outer) {
        String rel = "src/main/java/" + outer.getName().replace('.', '/') + ".java";
        try (var modules = Files.list(repoRoot)) {
            Path file = modules.map(m -> m.resolve(rel)).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no source " + rel + " in any module of " + repoRoot));
            return sources.computeIfAbsent(file, p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- outputs

    /** The resource --list-keys reads for trainer. */
    String resource(String trainer) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Generated by ConfigReferenceTest from ").append(ConfigKeys.TRAINERS.get(trainer).getName())
                .append("; do not edit. Regenerate: ").append(ConfigKeys.REGENERATE).append('\n');
        sb.append("# key\ttype\tdefault\tallowed\thelp\n");
        for (Row r : rows(ConfigKeys.TRAINERS.get(trainer))) {
            sb.append(r.key().toLine()).append('\n');
        }
        return sb.toString();
    }

    /** docs/config-reference.md: the shared keys once, then each trainer's own keys and changed defaults. */
    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Config reference\n\n");
        sb.append("<!-- Generated by ConfigReferenceTest from the config classes' javadoc; do not edit by hand. -->\n\n");
        sb.append("Every trainer reads a YAML (or JSON) file of snake_case keys, TRL's names where TRL has the setting;\n")
                .append("`--set key=value` overrides one (dotted keys reach nested sections), and\n")
                .append("`./align4j <trainer> --list-keys` prints the same table as the sections below.\n")
                .append("Unknown keys and values of the wrong type are refused with the file and the key.\n\n");
        sb.append("This page is generated from the config classes: the description is each field's javadoc, the\n")
                .append("default that of a fresh config. After adding or changing a config field, regenerate it (and the\n")
                .append("resources `--list-keys` reads) with\n\n```\n").append(ConfigKeys.REGENERATE).append("\n```\n\n")
                .append("See [How to add a config key](architecture.md#how-to-add-a-config-key).\n\n");
        sb.append("- [Shared keys](#shared-keys)\n");
        for (String t : ConfigKeys.TRAINERS.keySet()) {
            sb.append("- [").append(t).append("](#").append(anchor(t)).append(")\n");
        }
        sb.append("\n## Shared keys\n\n");
        sb.append("Every trainer (").append(ConfigKeys.TRAINERS.entrySet().stream()
                .filter(e -> TrainingConfig.class.isAssignableFrom(e.getValue())).map(e -> "`" + e.getKey() + "`")
                .collect(Collectors.joining(", "))).append(") reads these ([`TrainingConfig`](../policy/src/main/java/org/align4j/policy/train/TrainingConfig.java)); a trainer may change a default, as listed in its section.\n\n");
        table(sb, rows(TrainingConfig.class).stream().map(Row::key).toList());
        Map<String, ConfigKeys.Key> shared = new HashMap<>();
        for (Row r : rows(TrainingConfig.class)) {
            shared.put(r.key().key(), r.key());
        }
        for (Map.Entry<String, Class<?>> t : ConfigKeys.TRAINERS.entrySet()) {
            Class<?> c = t.getValue();
            sb.append("\n## ").append(t.getKey()).append("\n\n");
            boolean trainer = TrainingConfig.class.isAssignableFrom(c);
            sb.append("`./align4j ").append(t.getKey()).append(trainer ? " --config FILE` reads [`" : " --set KEY=VALUE` sets keys of [`")
                    .append(c.getSimpleName()).append("`](../").append(sourcePath(c))
                    .append(trainer ? "): the shared keys and these.\n\n" : "); the demo does not read the shared keys.\n\n");
            List<Row> rows = rows(c);
            table(sb, rows.stream().filter(r -> r.declaredIn() != TrainingConfig.class).map(Row::key).toList());
            List<String> changed = new ArrayList<>();
            for (Row r : rows) {
                ConfigKeys.Key s = shared.get(r.key().key());
                if (r.declaredIn() == TrainingConfig.class && s != null && !s.defaultValue().equals(r.key().defaultValue())) {
                    changed.add("`" + r.key().key() + "`: `" + r.key().defaultValue() + "`");
                }
            }
            if (!changed.isEmpty()) {
                sb.append("\nShared keys with a different default here: ").append(String.join(", ", changed)).append(".\n");
            }
        }
        return sb.toString();
    }

    private String sourcePath(Class<?> c) {
        String rel = "src/main/java/" + c.getName().replace('.', '/') + ".java";
        try (var modules = Files.list(repoRoot)) {
            return modules.filter(m -> Files.isRegularFile(m.resolve(rel))).findFirst()
                    .map(m -> repoRoot.relativize(m.resolve(rel)).toString()).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String anchor(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }

    private static void table(StringBuilder sb, List<ConfigKeys.Key> keys) {
        sb.append("| Key | Type | Default | Allowed values | Description |\n");
        sb.append("|---|---|---|---|---|\n");
        for (ConfigKeys.Key k : keys) {
            sb.append("| `").append(k.key()).append("` | ").append(k.type()).append(" | `").append(cell(k.defaultValue()))
                    .append("` | ").append(cell(k.allowed())).append(" | ").append(cell(k.help())).append(" |\n");
        }
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }
}
