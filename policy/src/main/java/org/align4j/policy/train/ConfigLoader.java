package org.align4j.policy.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.util.JsonErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads a training config (YAML, or JSON for a .json file) into a typed class whose Java fields are camelCase
 * and whose keys are snake_case, as TRL's ({@code learning_rate}, {@code gradient_accumulation_steps}). Unknown
 * keys and values of the wrong type are refused with the file (or the {@code --set} argument) and the key.
 * {@code --set key=value} overrides are applied to the parsed tree before binding: dotted keys reach into
 * nested objects, and values are read as YAML scalars ({@code 0.1}, {@code true}, {@code cosine}).
 */
public final class ConfigLoader {

    /** A config that checks its own value ranges; messages name the key, the loader adds the source. */
    public interface Validated {
        void validate();
    }

    private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
    private static final ObjectMapper YAML = configure(new YAMLMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)));
    private static final ObjectMapper JSON = configure(new JsonMapper());

    private ConfigLoader() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        return m.setPropertyNamingStrategy(SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    public static <T> T load(Path file, Class<T> type) {
        return load(file, type, List.of());
    }

    /**
     * Reads file (null: start from the class defaults), applies overrides ("key=value", in order) and binds
     * the result to type; a {@link Validated} config is then validated.
     */
    public static <T> T load(Path file, Class<T> type, List<String> overrides) {
        String source = file == null ? "config" : file.toString();
        ObjectNode tree = file == null ? JsonNodeFactory.instance.objectNode() : readTree(file);
        Map<String, String> overridden = new LinkedHashMap<>();
        for (String o : overrides) {
            overridden.put(applyOverride(tree, o), "--set " + o);
        }
        T config;
        try {
            config = YAML.treeToValue(tree, type);
        } catch (JsonMappingException e) {
            String path = JsonErrors.path(e);
            throw new BadInputException(sourceOf(path, overridden, source) + ": " + JsonErrors.describe(e, tree));
        } catch (JsonProcessingException e) {
            throw new BadInputException(source + ": " + e.getOriginalMessage());
        }
        if (config instanceof Validated v) {
            try {
                v.validate();
            } catch (BadInputException e) {
                throw new BadInputException(source + (overridden.isEmpty() ? "" : " with " + String.join(" ", overridden.values()))
                        + ": " + e.getMessage(), e);
            }
        }
        return config;
    }

    /** The key a config field named javaName (camelCase) has in files and --set, e.g. learning_rate. */
    public static String key(String javaName) {
        return SNAKE_CASE.translate(javaName);
    }

    /** The config as YAML with snake_case keys, as written to a run directory's config.yaml. */
    public static String dump(Object config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write config " + config.getClass().getName(), e);
        }
    }

    private static ObjectNode readTree(Path file) {
        boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = (json ? JSON : YAML).readTree(text);
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
            throw new BadInputException(file + line + ": not valid " + (json ? "JSON" : "YAML") + ": " + JsonErrors.oneLine(e.getOriginalMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!root.isObject()) {
            throw new BadInputException(file + ": expected a mapping of keys to values at the top level");
        }
        return (ObjectNode) root;
    }

    /** Sets one "a.b.c=value" into tree and returns its dotted path. */
    private static String applyOverride(ObjectNode tree, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new BadInputException("--set " + override + ": expected key=value");
        }
        String path = override.substring(0, eq).trim();
        String[] keys = path.split("\\.", -1);
        ObjectNode node = tree;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i].isEmpty()) {
                throw new BadInputException("--set " + override + ": empty key in '" + path + "'");
            }
            if (i == keys.length - 1) {
                node.set(keys[i], scalar(override.substring(eq + 1)));
            } else {
                JsonNode child = node.get(keys[i]);
                if (child == null || child.isNull()) {
                    child = node.putObject(keys[i]);
                } else if (!child.isObject()) {
                    throw new BadInputException("--set " + override + ": '" + String.join(".", List.of(keys).subList(0, i + 1))
                            + "' is not a mapping");
                }
                node = (ObjectNode) child;
            }
        }
        return path;
    }

    private static JsonNode scalar(String text) {
        if (text.isBlank()) {
            return TextNode.valueOf(text);
        }
        try {
            JsonNode n = YAML.readTree(text);
            // "Question: {x}" parses as a mapping; only explicit [..] / {..} flow collections are meant as such
            boolean flow = text.strip().startsWith("[") || text.strip().startsWith("{");
            return n == null || n.isMissingNode() || (n.isContainerNode() && !flow) ? TextNode.valueOf(text) : n;
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(text); // not a YAML document (e.g. "a: b: c"): take it literally
        }
    }

    /** The --set argument that wrote path (or a parent or child of it), else the file. */
    private static String sourceOf(String path, Map<String, String> overridden, String file) {
        for (Map.Entry<String, String> e : overridden.entrySet()) {
            String p = e.getKey();
            if (p.equals(path) || path.startsWith(p + ".") || path.startsWith(p + "[") || p.startsWith(path + ".")) {
                return e.getValue();
            }
        }
        return file;
    }
}
