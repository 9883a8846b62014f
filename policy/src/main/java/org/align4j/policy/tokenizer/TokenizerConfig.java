package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What align4j reads from a Hugging Face {@code tokenizer_config.json}: the names of the bos, eos and pad
 * tokens, whether encoding with special tokens adds bos/eos (as transformers does for Llama-style
 * tokenizers), the Jinja {@code chat_template} (rendered by {@code org.align4j.policy.text.HfChatTemplate}),
 * the special tokens that transformers hands to the template as variables, and {@code align4j_chat}, the
 * turn markers of align4j's own chat template.
 *
 * @param chatTemplate  the default chat template; null when the file has none
 * @param chatMarkers   the string fields of {@code align4j_chat}; empty when the file has none
 * @param specialTokens {@code bos_token}, {@code eos_token}, {@code unk_token}, ... as the template sees them
 *                      (those set in the file)
 * @param chatTemplates the named templates when {@code chat_template} is a list of {@code {name, template}}
 *                      (e.g. {@code default}, {@code tool_use}); empty otherwise
 */
public record TokenizerConfig(String bosToken, String eosToken, String padToken, boolean addBosToken,
                              boolean addEosToken, String chatTemplate, Map<String, String> chatMarkers,
                              Map<String, String> specialTokens, Map<String, String> chatTemplates) {

    /** The special tokens of tokenizer_config.json that transformers passes to chat templates. */
    private static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    /** The key of align4j's chat markers in tokenizer_config.json. */
    public static final String CHAT_MARKERS_KEY = "align4j_chat";

    public static final TokenizerConfig NONE = new TokenizerConfig(null, null, null, false, false, null, Map.of(),
            Map.of(), Map.of());

    public TokenizerConfig {
        chatMarkers = Map.copyOf(chatMarkers);
        specialTokens = Map.copyOf(specialTokens);
        chatTemplates = Map.copyOf(chatTemplates);
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
        Map<String, String> named = new LinkedHashMap<>();
        String defaultTemplate = null;
        if (template.isTextual()) {
            defaultTemplate = template.asText();
        } else if (template.isArray()) {
            for (JsonNode t : template) {
                if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                    throw new IllegalArgumentException(source + ": chat_template must be a string or a list of {\"name\", \"template\"}");
                }
                named.put(t.path("name").asText(), t.path("template").asText());
            }
            defaultTemplate = named.get("default");
        }
        Map<String, String> special = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKEN_KEYS) {
            String token = tokenName(root, key, source);
            if (token != null) {
                special.put(key, token);
            }
        }
        return new TokenizerConfig(
                tokenName(root, "bos_token", source),
                tokenName(root, "eos_token", source),
                tokenName(root, "pad_token", source),
                root.path("add_bos_token").asBoolean(false),
                root.path("add_eos_token").asBoolean(false),
                defaultTemplate,
                markers,
                special,
                named);
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
