package org.align4j.policy.text;

import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.tokenizer.TokenizerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fallback for tokenizers without a Jinja {@code chat_template} (see {@link HfChatTemplate} for those
 * with one): a chat template made of fixed strings: a beginning (usually bos), and for each turn a role marker,
 * the text and an end-of-turn marker. This covers align4j's trained tokenizers, ChatML (Qwen) and
 * DeepSeek's format without running Jinja; system turns, tool calls and reasoning blocks of the
 * vendors' full Jinja templates are outside it.
 */
public final class ChatTemplate implements PromptTemplate {

    private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);

    private final String begin;
    private final Map<String, String> rolePrefixes;
    private final Map<String, String> roleSuffixes;
    private String description = "fixed role markers";

    /**
     * @param rolePrefixes the marker opening each role's turn (roles missing here are refused)
     * @param roleSuffixes what closes each role's turn ("" where absent)
     */
    public ChatTemplate(String begin, Map<String, String> rolePrefixes, Map<String, String> roleSuffixes) {
        this.begin = begin;
        this.rolePrefixes = Map.copyOf(rolePrefixes);
        this.roleSuffixes = Map.copyOf(roleSuffixes);
        if (!rolePrefixes.containsKey("user") || !rolePrefixes.containsKey("assistant")) {
            throw new IllegalArgumentException("a chat template needs user and assistant markers");
        }
    }

    /**
     * The template for a tokenizer: the {@code align4j_chat} markers of its tokenizer_config.json when
     * present (align4j's trained tokenizers); ChatML when its vocabulary has {@code <|im_start|>} and
     * {@code <|im_end|>} (Qwen); DeepSeek's when it has {@code <｜User｜>} and {@code <｜Assistant｜>};
     * otherwise "User:"/"Assistant:" lines ended by eos.
     */
    public static ChatTemplate forTokenizer(Tokenizer tokenizer) {
        ChatTemplate guess = guess(tokenizer);
        LOG.info("the tokenizer has no chat_template in tokenizer_config.json: using {}", guess.description);
        return guess;
    }

    private static ChatTemplate guess(Tokenizer tokenizer) {
        TokenizerConfig config = tokenizer.config();
        String bos = config.bosToken() == null ? "" : config.bosToken();
        String eos = config.eosToken() == null ? "" : config.eosToken();
        Map<String, String> markers = config.chatMarkers();
        if (!markers.isEmpty()) {
            String end = markers.getOrDefault("end_of_turn", eos);
            Map<String, String> prefixes = new HashMap<>();
            Map<String, String> suffixes = new HashMap<>();
            for (String role : List.of("system", "user", "assistant")) {
                if (markers.containsKey(role)) {
                    prefixes.put(role, markers.get(role));
                    suffixes.put(role, end);
                }
            }
            return new ChatTemplate(markers.getOrDefault("begin", bos), prefixes, suffixes)
                    .describedAs("align4j's chat markers (" + TokenizerConfig.CHAT_MARKERS_KEY + ")");
        }
        if (tokenizer.tokenId("<|im_start|>").isPresent() && tokenizer.tokenId("<|im_end|>").isPresent()) {
            Map<String, String> prefixes = Map.of("system", "<|im_start|>system\n", "user", "<|im_start|>user\n",
                    "assistant", "<|im_start|>assistant\n");
            Map<String, String> suffixes = Map.of("system", "<|im_end|>\n", "user", "<|im_end|>\n",
                    "assistant", "<|im_end|>\n");
            return new ChatTemplate("", prefixes, suffixes).describedAs("a guessed ChatML format (<|im_start|>role ... <|im_end|>)");
        }
        if (tokenizer.tokenId("<｜User｜>").isPresent() && tokenizer.tokenId("<｜Assistant｜>").isPresent()) {
            // DeepSeek-V3: the system prompt follows bos bare; only the assistant's turn is closed (by eos).
            return new ChatTemplate(bos, Map.of("system", "", "user", "<｜User｜>", "assistant", "<｜Assistant｜>"),
                    Map.of("assistant", eos)).describedAs("a guessed DeepSeek format (<｜User｜>, <｜Assistant｜>)");
        }
        return new ChatTemplate(bos, Map.of("system", "System: ", "user", "User: ", "assistant", "Assistant: "),
                Map.of("system", "\n", "user", "\n", "assistant", eos + "\n"))
                .describedAs("plain 'User:'/'Assistant:' lines ended by eos");
    }

    private ChatTemplate describedAs(String text) {
        this.description = text;
        return this;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder out = new StringBuilder(begin);
        for (ChatMessage m : messages) {
            out.append(prefix(m.role())).append(m.content()).append(roleSuffixes.getOrDefault(m.role(), ""));
        }
        if (addGenerationPrompt) {
            out.append(prefix("assistant"));
        }
        return out.toString();
    }

    @Override
    public String renderCompletion(String assistantText) {
        return assistantText + roleSuffixes.getOrDefault("assistant", "");
    }

    private String prefix(String role) {
        String p = rolePrefixes.get(role);
        if (p == null) {
            throw new IllegalArgumentException("this chat template has no '" + role + "' role (it has " + rolePrefixes.keySet() + ")");
        }
        return p;
    }
}
