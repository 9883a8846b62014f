package org.align4j.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Reads the rotary settings of a {@code config.json}: {@code rope_theta} and the scaling, from
 * {@code rope_parameters} (transformers 5), {@code rope_scaling} (older files; the type under {@code type} or
 * {@code rope_type}) or both. Where the two forms (or a top-level {@code rope_theta}) give one setting different
 * values, or a key is unknown for the type, the config is refused rather than read one way when transformers
 * might read it another.
 */
final class RopeConfigJson {
    private static final Set<String> COMMON = Set.of("rope_type", "type", "rope_theta", "partial_rotary_factor");
    private static final Map<String, Set<String>> KEYS = Map.of(
            RopeScaling.DEFAULT, Set.of(),
            RopeScaling.LINEAR, Set.of("factor"),
            RopeScaling.DYNAMIC, Set.of("factor"),
            RopeScaling.LLAMA3, Set.of("factor", "low_freq_factor", "high_freq_factor",
                    "original_max_position_embeddings"),
            RopeScaling.YARN, Set.of("factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "mscale",
                    "mscale_all_dim", "attention_factor", "truncate"));

    /** rope_theta and the scaling of one config. */
    record Settings(double theta, RopeScaling scaling) {
    }

    private RopeConfigJson() {
    }

    static Settings read(JsonNode config, int maxPositions) {
        ObjectNode p = merged(config);
        String typeKey = p.has("rope_type") ? "rope_type" : "type";
        if (p.hasNonNull("rope_type") && p.hasNonNull("type") && !p.get("rope_type").equals(p.get("type"))) {
            throw new IllegalArgumentException("conflicting rope settings: rope_type '" + p.get("rope_type").asText()
                    + "' and type '" + p.get("type").asText() + "'");
        }
        String type = p.path(typeKey).asText(RopeScaling.DEFAULT);
        if (type.isEmpty() || p.path(typeKey).isNull()) {
            type = RopeScaling.DEFAULT;
        }
        if (!KEYS.containsKey(type)) {
            throw new IllegalArgumentException("unsupported " + sourceName(config) + "." + typeKey + " '" + type
                    + "' (supported: " + String.join(", ", RopeScaling.TYPES) + ")");
        }
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!COMMON.contains(k) && !KEYS.get(type).contains(k)) {
                throw new IllegalArgumentException("unsupported key " + sourceName(config) + "." + k + " for rope type '"
                        + type + "' (known: " + String.join(", ", KEYS.get(type)) + ")");
            }
        }
        if (p.hasNonNull("partial_rotary_factor") && p.get("partial_rotary_factor").asDouble() != 1.0) {
            throw new IllegalArgumentException("unsupported " + sourceName(config) + ".partial_rotary_factor "
                    + p.get("partial_rotary_factor").asText() + " (only 1.0)");
        }
        double theta = p.hasNonNull("rope_theta") ? number(p, "rope_theta") : 10000.0;
        if (!(theta > 1)) {
            throw new IllegalArgumentException("rope_theta must be > 1, got " + theta);
        }
        RopeScaling s = switch (type) {
            case RopeScaling.LINEAR -> RopeScaling.linear(factor(p, config));
            case RopeScaling.DYNAMIC -> RopeScaling.dynamic(factor(p, config));
            case RopeScaling.LLAMA3 -> llama3(p, config, maxPositions);
            case RopeScaling.YARN -> RopeScaling.yarn(factor(p, config), original(p, maxPositions),
                    optional(p, "beta_fast", 0), optional(p, "beta_slow", 0), optional(p, "mscale", Double.NaN),
                    optional(p, "mscale_all_dim", Double.NaN), optional(p, "attention_factor", Double.NaN),
                    p.path("truncate").asBoolean(true));
            default -> RopeScaling.NONE;
        };
        return new Settings(theta, s);
    }

    private static RopeScaling llama3(ObjectNode p, JsonNode config, int maxPositions) {
        double low = required(p, config, "low_freq_factor");
        double high = required(p, config, "high_freq_factor");
        if (!(high > low)) {
            throw new IllegalArgumentException(sourceName(config) + ".high_freq_factor (" + high
                    + ") must be greater than low_freq_factor (" + low + ")");
        }
        return RopeScaling.llama3(factor(p, config), low, high, original(p, maxPositions));
    }

    /** The union of rope_parameters, rope_scaling and a top-level rope_theta; a key given twice must agree. */
    private static ObjectNode merged(JsonNode config) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String source : new String[] {"rope_parameters", "rope_scaling"}) {
            JsonNode n = config.path(source);
            if (n.isMissingNode() || n.isNull()) {
                continue;
            }
            if (!n.isObject()) {
                throw new IllegalArgumentException(source + " must be an object, got " + n);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNull()) {
                    continue;
                }
                JsonNode had = out.get(e.getKey());
                if (had != null && !same(had, e.getValue())) {
                    throw new IllegalArgumentException("conflicting rope settings: rope_parameters." + e.getKey()
                            + " = " + had + " but rope_scaling." + e.getKey() + " = " + e.getValue());
                }
                out.set(e.getKey(), e.getValue());
            }
        }
        JsonNode top = config.path("rope_theta");
        if (top.isNumber()) {
            JsonNode had = out.get("rope_theta");
            if (had != null && !same(had, top)) {
                throw new IllegalArgumentException("conflicting rope settings: rope_theta = " + top
                        + " but rope_parameters.rope_theta = " + had);
            }
            out.set("rope_theta", top);
        }
        return out;
    }

    private static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.asDouble() == b.asDouble();
        }
        return a.equals(b);
    }

    /** Where the scaling was written, for error messages. */
    private static String sourceName(JsonNode config) {
        JsonNode p = config.path("rope_parameters");
        return p.isObject() ? "rope_parameters" : "rope_scaling";
    }

    private static double factor(ObjectNode p, JsonNode config) {
        double f = required(p, config, "factor");
        if (!(f >= 1)) {
            throw new IllegalArgumentException(sourceName(config) + ".factor must be >= 1, got " + f);
        }
        return f;
    }

    private static int original(ObjectNode p, int maxPositions) {
        // transformers' standardize_rope_params: max_position_embeddings when the key is absent
        int o = p.hasNonNull("original_max_position_embeddings")
                ? (int) number(p, "original_max_position_embeddings") : maxPositions;
        if (o <= 0) {
            throw new IllegalArgumentException("original_max_position_embeddings must be positive, got " + o);
        }
        return o;
    }

    private static double required(ObjectNode p, JsonNode config, String key) {
        if (!p.hasNonNull(key)) {
            throw new IllegalArgumentException("missing key " + sourceName(config) + "." + key + " for rope type '"
                    + p.path("rope_type").asText(p.path("type").asText()) + "'");
        }
        return number(p, key);
    }

    private static double optional(ObjectNode p, String key, double absent) {
        return p.hasNonNull(key) ? number(p, key) : absent;
    }

    private static double number(ObjectNode p, String key) {
        JsonNode v = p.get(key);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("rope setting " + key + " must be a number, got " + v);
        }
        return v.asDouble();
    }

    /** The rope_parameters object written for a config (theta and scaling). */
    static ObjectNode write(double theta, RopeScaling s) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("rope_theta", theta);
        s.writeTo(n);
        return n;
    }
}
