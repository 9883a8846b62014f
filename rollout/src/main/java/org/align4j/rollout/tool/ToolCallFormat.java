package org.align4j.rollout.tool;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model family writes tool calls in its reply, so they can be parsed from a completion's text
 * (decoded with its special tokens): Qwen (and Hermes-style templates) write
 * {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}; DeepSeek-V3 writes
 * {@code <｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{...}\n```<｜tool▁call▁end｜>}, and
 * DeepSeek-V3.1 and later {@code <｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{...}<｜tool▁call▁end｜>}.
 */
public enum ToolCallFormat {

    QWEN(Pattern.compile("<tool_call>\\s*(.*?)\\s*</tool_call>", Pattern.DOTALL)) {
        @Override
        ToolCall toCall(Matcher m) {
            String body = m.group(1);
            try {
                Map<String, Object> call = JSON.readValue(body, MAP);
                Object name = call.get("name");
                Object args = call.get("arguments");
                if (args instanceof String s) {
                    args = JSON.readValue(s, MAP);
                }
                return new ToolCall(name instanceof String n ? n : null,
                        args instanceof Map<?, ?> a ? cast(a) : null, body);
            } catch (Exception e) {
                return new ToolCall(null, null, body);
            }
        }
    },

    DEEPSEEK(Pattern.compile("<｜tool▁call▁begin｜>(.*?)<｜tool▁sep｜>(.*?)<｜tool▁call▁end｜>", Pattern.DOTALL)) {
        @Override
        ToolCall toCall(Matcher m) {
            // V3: TYPE<sep>NAME\n```json\nARGS\n```; V3.1 and later: NAME<sep>ARGS
            Matcher v3 = DEEPSEEK_V3_BODY.matcher(m.group(2));
            String name = v3.matches() ? v3.group(1) : m.group(1);
            String args = v3.matches() ? v3.group(2) : m.group(2);
            try {
                return new ToolCall(name.strip(), JSON.readValue(args, MAP), args);
            } catch (Exception e) {
                return new ToolCall(name.strip(), null, args);
            }
        }
    };

    private static final Pattern DEEPSEEK_V3_BODY = Pattern.compile("([^\\n]*)\\n```json\\n(.*)\\n```", Pattern.DOTALL);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() {
            };

    private final Pattern pattern;

    ToolCallFormat(Pattern pattern) {
        this.pattern = pattern;
    }

    /** The calls in {@code text}, in order; a call whose JSON cannot be read has null arguments (or name). */
    public List<ToolCall> parse(String text) {
        List<ToolCall> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            out.add(toCall(m));
        }
        return out;
    }

    abstract ToolCall toCall(Matcher m);

    /** DeepSeek's when the vocabulary has its tool-call tokens, else Qwen's. */
    public static ToolCallFormat forTokenizer(Tokenizer tokenizer) {
        return tokenizer.tokenId("<｜tool▁call▁begin｜>").isPresent() ? DEEPSEEK : QWEN;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}
