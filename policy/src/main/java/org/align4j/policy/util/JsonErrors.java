package org.align4j.policy.util;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import java.util.Collection;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns Jackson binding errors into the one-line messages users see ("key 'batch_size': expected an integer,
 * got 'many'"), without Jackson's class names and source excerpts.
 */
public final class JsonErrors {

    private JsonErrors() {
    }

    /** The failing key as a dotted path ("generation.temperature", "items[2].name"). */
    public static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** What is wrong at the failing key of tree (the document that was being bound). */
    public static String describe(JsonMappingException e, JsonNode tree) {
        String path = path(e);
        if (e instanceof UnrecognizedPropertyException u) {
            TreeSet<String> known = new TreeSet<>();
            u.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
            return "unknown key '" + path + "' (known: " + String.join(", ", known) + ")";
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            JsonNode value = tree.at("/" + path.replace(".", "/").replaceAll("\\[(\\d+)]", "/$1"));
            String got = value.isMissingNode() ? "" : ", got " + (value.isTextual() ? "'" + value.asText() + "'" : value.toString());
            return "key '" + path + "': expected " + typeName(m.getTargetType()) + got;
        }
        return "key '" + path + "': " + oneLine(e.getOriginalMessage());
    }

    /** Parser messages span lines ("while parsing ...", " in 'reader', line 2", "expected ..."): keep the words. */
    public static String oneLine(String message) {
        return String.join("; ", message.lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("in '") && !l.startsWith("at [") && !l.startsWith("^")).toList());
    }

    private static String typeName(Class<?> c) {
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class || c == short.class) {
            return "an integer";
        }
        if (c == double.class || c == Double.class || c == float.class || c == Float.class) {
            return "a number";
        }
        if (c == boolean.class || c == Boolean.class) {
            return "true or false";
        }
        if (c == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(c) || c.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(c)) {
            return "a mapping";
        }
        return "a mapping (" + c.getSimpleName() + ")";
    }
}
