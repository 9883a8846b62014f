package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What align4j reads from a Hugging Face {@code tokenizer_config.json}: the names of the bos, eos and pad
 * tokens, whether encoding with special tokens adds bos/eos (as transformers does for Llama-style
 * tokenizers), the Jinja {@code chat_template} (kept as text; align4j does not run Jinja) and
 * {@code align4j_chat}, the turn markers of align4j's own chat template.
 *
 * @param chatMarkers the string fields of {@code align4j_chat}; empty when the file has none
 */
public record TokenizerConfig(String bosToken, String eosToken, String padToken, boolean addBosToken,
                              boolean addEosToken, String chatTemplate, Map<String, String> chatMarkers) {

    /** The key of align4j's chat markers in tokenizer_config.json. */
    public static final String CHAT_MARKERS_KEY = "align4j_chat";

    public static final TokenizerConfig NONE = new TokenizerConfig(null, null, null, false, false, null, Map.of());

    public TokenizerConfig {
        chatMarkers = Map.copyOf(chatMarkers);
    }

    static TokenizerConfig fromJson(JsonNode root, String source) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object");
        }
        Map<String, String> markers = new LinkedHashMap<>();
        JsonNode chat = root.path(CHAT_MARKERS_KEY);
        if (chat.isObject()) {
            chat.fields().forEachRemaining(e -> {
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException(source + ": " + CHAT_MARKERS_KEY + "." + e.getKey() + " must be a string");
                }
                markers.put(e.getKey(), e.getValue().asText());
            });
        }
        JsonNode template = root.path("chat_template");
        return new TokenizerConfig(
                tokenName(root, "bos_token", source),
                tokenName(root, "eos_token", source),
                tokenName(root, "pad_token", source),
                root.path("add_bos_token").asBoolean(false),
                root.path("add_eos_token").asBoolean(false),
                template.isTextual() ? template.asText() : null,
                markers);
    }

    /** A special token is written either as its text or as an AddedToken object with a "content". */
    private static String tokenName(JsonNode root, String key, String source) {
        JsonNode v = root.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return v.path("content").asText();
        }
        throw new IllegalArgumentException(source + ": " + key + " must be a string or an object with \"content\"");
    }
}
