package org.align4j.policy.util;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON that every parser reads: a NaN or infinite number is written as {@code null}, and the object that held it
 * names the reason under {@value #NON_FINITE}, e.g. {@code {"loss": null, "non_finite": {"loss": "NaN"}}} (in an
 * array the element is just null). Jackson alone writes {@code NaN} bare or as a string, neither of which is the
 * number a reader expects.
 */
public final class FiniteJson {
    /** The key under which an object lists its non-finite values and what they were. */
    public static final String NON_FINITE = "non_finite";

    private static final ObjectMapper JSON = new ObjectMapper();

    private FiniteJson() {
    }

    /** The values (numbers, strings, lists, maps, ...) as an object, non-finite numbers as null with the reason. */
    public static ObjectNode object(Map<String, ?> values) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        values.forEach((k, v) -> o.set(k, JSON.valueToTree(v)));
        sanitize(o);
        return o;
    }

    /** The tree of a value (a record, a map) with every non-finite number replaced as described above. */
    public static JsonNode tree(Object value) {
        return sanitize(JSON.valueToTree(value));
    }

    /** Replaces, in place, every non-finite number under node; returns node. */
    public static JsonNode sanitize(JsonNode node) {
        if (node instanceof ObjectNode o) {
            List<String> bad = new ArrayList<>();
            o.fields().forEachRemaining(e -> {
                if (nonFinite(e.getValue())) {
                    bad.add(e.getKey());
                } else {
                    sanitize(e.getValue());
                }
            });
            if (!bad.isEmpty()) {
                ObjectNode reasons = o.has(NON_FINITE) && o.get(NON_FINITE).isObject()
                        ? (ObjectNode) o.get(NON_FINITE) : JsonNodeFactory.instance.objectNode();
                for (String k : bad) {
                    reasons.put(k, reason(o.get(k).asDouble()));
                    o.putNull(k);
                }
                o.set(NON_FINITE, reasons);
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (nonFinite(a.get(i))) {
                    a.set(i, JsonNodeFactory.instance.nullNode());
                } else {
                    sanitize(a.get(i));
                }
            }
        }
        return node;
    }

    private static boolean nonFinite(JsonNode n) {
        return (n.isDouble() || n.isFloat()) && !Double.isFinite(n.asDouble());
    }

    private static String reason(double v) {
        return Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
    }
}
