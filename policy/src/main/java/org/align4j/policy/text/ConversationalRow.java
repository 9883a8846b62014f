package org.align4j.policy.text;

import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The conversational rows of TRL's datasets, rendered through the model's chat template: a prompt is a
 * list of messages ({@code {"prompt": [{"role": "user", "content": ...}]}}), rendered with the generation
 * prompt; a completion ({@code "completion"}, {@code "chosen"}, {@code "rejected"}) is a list of messages
 * continuing it (or one assistant reply as a string), and its text is what rendering prompt + completion
 * adds after the rendered prompt, as TRL splits them. A row may carry {@code "tools"} (JSON schemas) and
 * {@code "chat_template_kwargs"} (e.g. {@code {"enable_thinking": false}}), both handed to the template.
 */
public final class ConversationalRow {

    private ConversationalRow() {
    }

    /** True when {@code row.get(key)} is a list (of messages), not text. */
    public static boolean isConversational(Map<String, Object> row, String key) {
        return row.get(key) instanceof List<?>;
    }

    /** The tokenizer's own chat template; conversational rows need one. */
    public static HfChatTemplate template(Tokenizer tokenizer, String where) {
        if (tokenizer == null) {
            throw new BadInputException(where + ": conversational rows need a tokenizer with a chat_template");
        }
        HfChatTemplate t = HfChatTemplate.of(tokenizer.config(), "chat_template of tokenizer_config.json");
        if (t == null) {
            throw new BadInputException(where + ": conversational rows need a chat_template in the tokenizer's "
                    + "tokenizer_config.json (this tokenizer has none)");
        }
        return t;
    }

    /** The messages under {@code key}: a non-empty list of objects with a string "role". */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> messages(Map<String, Object> row, String key, String where) {
        if (!(row.get(key) instanceof List<?> list) || list.isEmpty()) {
            throw new BadInputException(where + ": key '" + key + "' must be a non-empty list of messages");
        }
        List<Map<String, Object>> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("role") instanceof String)) {
                throw new BadInputException(where + ": " + key + "[" + i + "] must be an object with a string \"role\"");
            }
            out.add((Map<String, Object>) m);
        }
        return out;
    }

    /** The row's "tools", or null. */
    @SuppressWarnings("unchecked")
    public static List<Object> tools(Map<String, Object> row, String where) {
        Object t = row.get("tools");
        if (t == null) {
            return null;
        }
        if (!(t instanceof List<?>)) {
            throw new BadInputException(where + ": key 'tools' must be a list of JSON schemas");
        }
        return (List<Object>) t;
    }

    /** The row's "chat_template_kwargs", or null. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> kwargs(Map<String, Object> row, String where) {
        Object k = row.get("chat_template_kwargs");
        if (k == null) {
            return null;
        }
        if (!(k instanceof Map<?, ?>)) {
            throw new BadInputException(where + ": key 'chat_template_kwargs' must be an object");
        }
        return (Map<String, Object>) k;
    }

    /** The prompt under {@code key}, rendered with the generation prompt. */
    public static String promptText(HfChatTemplate template, Map<String, Object> row, String key, String where) {
        return promptText(template, row, key, where, null);
    }

    /** Like {@link #promptText(HfChatTemplate, Map, String, String)}, with {@code defaultTools} for rows without "tools". */
    public static String promptText(HfChatTemplate template, Map<String, Object> row, String key, String where,
                                    List<Object> defaultTools) {
        List<Object> tools = tools(row, where);
        return template.render(messages(row, key, where), tools == null ? defaultTools : tools, true, kwargs(row, where));
    }

    /**
     * The text that {@code row.get(completionKey)} adds after the prompt {@code promptText} rendered from
     * {@code row.get(promptKey)}.
     */
    public static String completionText(HfChatTemplate template, Map<String, Object> row, String promptKey,
                                        String promptText, String completionKey, String where) {
        List<Map<String, Object>> all = new ArrayList<>(messages(row, promptKey, where));
        Object completion = row.get(completionKey);
        if (completion instanceof String text) {
            all.add(Map.of("role", "assistant", "content", text));
        } else {
            all.addAll(messages(row, completionKey, where));
        }
        String full = template.render(all, tools(row, where), false, kwargs(row, where));
        if (!full.startsWith(promptText)) {
            throw new BadInputException(where + ": '" + completionKey + "' must continue '" + promptKey
                    + "' with an assistant turn (the chat template renders them so that they do not start with the"
                    + " rendered prompt)");
        }
        return full.substring(promptText.length());
    }
}
