package org.align4j.policy.text;

import org.align4j.policy.text.jinja.TransformersJinja;
import org.align4j.policy.tokenizer.TokenizerConfig;
import org.align4j.policy.util.BadInputException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's own chat template: the Jinja {@code chat_template} of its tokenizer_config.json, rendered as
 * transformers' {@code apply_chat_template(messages, tools=..., add_generation_prompt=..., tokenize=False, **kwargs)}
 * renders it (see {@link TransformersJinja}), with the special tokens of tokenizer_config.json as variables.
 *
 * <p>Messages are JSON-like maps ({@code role}, {@code content}, and whatever else the template reads:
 * {@code tool_calls}, {@code reasoning_content}, ...); tools are JSON schemas as in transformers.
 */
public final class HfChatTemplate implements PromptTemplate {

    /** A unique text no template alters, to find where an assistant's content ends in a rendering. */
    private static final String PROBE = "ALIGN4J_PROBE_7f3a9c";

    private final String template;
    private final Map<String, String> namedTemplates;
    private final Map<String, String> specialTokens;
    private final String source;
    private volatile String completionSuffix;

    /**
     * @param template      the default template (may be null when {@code namedTemplates} has {@code tool_use} only)
     * @param specialTokens variables such as {@code bos_token}
     * @param source        names the template in error messages (e.g. the tokenizer_config.json)
     */
    public HfChatTemplate(String template, Map<String, String> namedTemplates, Map<String, String> specialTokens, String source) {
        if (template == null && !namedTemplates.containsKey("tool_use")) {
            throw new IllegalArgumentException(source + ": no chat_template");
        }
        this.template = template;
        this.namedTemplates = Map.copyOf(namedTemplates);
        this.specialTokens = Map.copyOf(specialTokens);
        this.source = source;
    }

    /** The template of a tokenizer_config.json, or null when it has none. */
    public static HfChatTemplate of(TokenizerConfig config, String source) {
        if (config.chatTemplate() == null && !config.chatTemplates().containsKey("tool_use")) {
            return null;
        }
        return new HfChatTemplate(config.chatTemplate(), config.chatTemplates(), config.specialTokens(), source);
    }

    /**
     * The conversation as transformers renders it.
     *
     * @param messages the turns, each a map with at least {@code role}
     * @param tools    the tools' JSON schemas, or null
     * @param kwargs   further template variables (e.g. {@code enable_thinking}); may be null
     * @throws BadInputException naming the template and its own message when it refuses the conversation
     */
    public String render(List<? extends Map<String, ?>> messages, List<?> tools, boolean addGenerationPrompt,
                         Map<String, ?> kwargs) {
        String chosen = template;
        if (tools != null && !tools.isEmpty() && namedTemplates.containsKey("tool_use")) {
            chosen = namedTemplates.get("tool_use");
        }
        if (chosen == null) {
            throw new BadInputException(source + ": the chat template has no 'default' and is only for conversations with tools");
        }
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("messages", messages);
        vars.put("tools", tools);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        if (kwargs != null) {
            vars.putAll(kwargs);
        }
        try {
            return TransformersJinja.get().render(chosen, vars);
        } catch (TransformersJinja.TemplateException e) {
            throw new BadInputException(source + ": chat template: " + e.getMessage(), e);
        }
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(toMaps(messages), null, addGenerationPrompt, null);
    }

    /**
     * What follows an assistant's reply in this template (e.g. {@code <|im_end|>\n}): found once by
     * rendering a short conversation around a probe text.
     */
    @Override
    public String renderCompletion(String assistantText) {
        String suffix = completionSuffix;
        if (suffix == null) {
            String text = render(List.of(ChatMessage.user("hi"), ChatMessage.assistant(PROBE)), false);
            int at = text.lastIndexOf(PROBE);
            if (at < 0) {
                throw new BadInputException(source + ": the chat template does not write the assistant's content");
            }
            suffix = text.substring(at + PROBE.length());
            completionSuffix = suffix;
        }
        return assistantText + suffix;
    }

    /** Messages as the maps a template reads. */
    public static List<Map<String, Object>> toMaps(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            out.add(map);
        }
        return out;
    }

    /** Names the template in error messages. */
    public String source() {
        return source;
    }
}
