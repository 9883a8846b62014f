package org.align4j.policy.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.util.BadInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Conversations in JSON as transformers takes them: a list of messages, each an object with a string
 * {@code role} and whatever else the template reads ({@code content}, {@code tool_calls}, ...); tools as
 * a list of JSON schemas; extra template variables as an object. Read into the plain maps, lists and
 * values that {@link HfChatTemplate} renders, with one-line errors naming where the input is wrong.
 */
public final class ChatJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatJson() {
    }

    /** True when {@code node} looks like a conversation: an array of objects with a {@code role}. */
    public static boolean isConversation(JsonNode node) {
        return node != null && node.isArray() && !node.isEmpty() && node.get(0).isObject() && node.get(0).has("role");
    }

    /**
     * The messages of {@code node}, which must be an array of objects with a string {@code role}.
     *
     * @param where names the input in errors, e.g. {@code data.jsonl:12: "messages"}
     */
    public static List<Map<String, Object>> messages(JsonNode node, String where) {
        if (node == null || !node.isArray()) {
            throw new BadInputException(where + ": expected a list of messages ({\"role\": ..., \"content\": ...})");
        }
        List<Map<String, Object>> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw new BadInputException(where + "[" + i + "]: a message must be an object with a string \"role\"");
            }
            JsonNode content = m.get("content");
            if (content != null && !content.isTextual() && !content.isNull() && !content.isArray() && !content.isObject()) {
                throw new BadInputException(where + "[" + i + "]: \"content\" must be a string, null, a list or an object");
            }
            out.add(toMap(m));
        }
        return out;
    }

    /** The tools' schemas of {@code node}, or null when it is missing or null. */
    public static List<Object> tools(JsonNode node, String where) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (!node.isArray()) {
            throw new BadInputException(where + ": \"tools\" must be a list of JSON schemas");
        }
        List<Object> out = new ArrayList<>();
        for (JsonNode t : node) {
            out.add(JSON.convertValue(t, Object.class));
        }
        return out;
    }

    /** Extra template variables of {@code node}, or null when it is missing or null. */
    public static Map<String, Object> kwargs(JsonNode node, String where) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (!node.isObject()) {
            throw new BadInputException(where + ": \"kwargs\" must be an object");
        }
        return toMap(node);
    }

    /** The text of a message's {@code content} (a string; a list of {@code {"type": "text"}} parts is joined). */
    public static String contentText(Map<String, Object> message) {
        Object c = message.get("content");
        if (c == null) {
            return "";
        }
        if (c instanceof String s) {
            return s;
        }
        if (c instanceof List<?> parts) {
            StringBuilder out = new StringBuilder();
            for (Object p : parts) {
                if (p instanceof Map<?, ?> part && part.get("text") instanceof String t) {
                    out.append(t);
                }
            }
            return out.toString();
        }
        return c.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(JsonNode object) {
        return JSON.convertValue(object, Map.class);
    }
}
