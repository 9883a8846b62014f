package org.align4j.policy.text;

import org.align4j.policy.util.BadInputException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A conversation rendered by its chat template, with where each assistant turn lies in the text: what
 * TRL's {@code assistant_only_loss} trains on. transformers finds these spans through {@code {% generation %}}
 * blocks, which few shipped templates have; here they are found for any template by rendering prefixes:
 * an assistant turn starts where the conversation up to it, rendered with the generation prompt, ends,
 * and it ends after its content and the template's end-of-turn marker (found with probe texts, see
 * {@link #turnEnd}). The line break some templates write after the end-of-turn marker is not in the span.
 *
 * @param text  the whole conversation, as transformers renders it
 * @param spans {@code [start, end)} character ranges of the assistant turns, in order
 */
public record RenderedConversation(String text, List<int[]> spans) {

    private static final String PROBE = "ALIGN4J_CONTENT_END_5d1e";

    /**
     * Renders {@code messages} (without a generation prompt) and finds the assistant turns.
     *
     * @throws BadInputException when the template renders a turn differently in the whole conversation than
     *                           in its prefix, so that no span can be told (the message names the turn)
     */
    public static RenderedConversation render(HfChatTemplate template, List<Map<String, Object>> messages,
                                              List<Object> tools, Map<String, Object> kwargs, String where) {
        String full = template.render(messages, tools, false, kwargs);
        String endOfTurn = stripTrailingWhitespace(template.renderCompletion(""));
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).get("role"))) {
                continue;
            }
            String before = template.render(messages.subList(0, i), tools, true, kwargs);
            if (!full.startsWith(before)) {
                throw new BadInputException(where + ": the chat template renders the conversation before message " + i
                        + " differently once the conversation goes on, so the assistant's turn cannot be found");
            }
            int start = before.length();
            int end = turnEnd(template, messages, i, tools, kwargs, full, start, endOfTurn);
            if (end < 0) {
                throw new BadInputException(where + ": cannot tell where assistant message " + i
                        + " ends in the chat template's rendering");
            }
            spans.add(new int[] {start, end});
        }
        return new RenderedConversation(full, spans);
    }

    /**
     * Where assistant turn {@code i} ends in {@code full}: after its content, found by a probe appended to it,
     * and the end-of-turn marker; for a turn with tool calls (written after the content), before the next
     * message, found by a probe in place of the next message's content, at the last end-of-turn marker before it.
     */
    private static int turnEnd(HfChatTemplate template, List<Map<String, Object>> messages, int i, List<Object> tools,
                               Map<String, Object> kwargs, String full, int start, String endOfTurn) {
        boolean hasToolCalls = messages.get(i).get("tool_calls") != null;
        if (!hasToolCalls && messages.get(i).get("content") instanceof String content) {
            String withProbe = template.render(replaceContent(messages, i, content + PROBE), tools, false, kwargs);
            int at = withProbe.indexOf(PROBE);
            if (at >= start && withProbe.indexOf(PROBE, at + 1) < 0
                    && (withProbe.substring(0, at) + withProbe.substring(at + PROBE.length())).equals(full)) {
                return full.startsWith(endOfTurn, at) ? at + endOfTurn.length() : at;
            }
        }
        if (i == messages.size() - 1) {
            return stripTrailingWhitespace(full).length();
        }
        String nextProbed = template.render(replaceContent(messages, i + 1, PROBE), tools, false, kwargs);
        int common = 0;
        while (common < full.length() && common < nextProbed.length() && full.charAt(common) == nextProbed.charAt(common)) {
            common++;
        }
        if (common <= start) {
            return -1;
        }
        int marker = endOfTurn.isEmpty() ? -1 : full.lastIndexOf(endOfTurn, common - endOfTurn.length());
        return marker >= start ? marker + endOfTurn.length() : common;
    }

    private static List<Map<String, Object>> replaceContent(List<Map<String, Object>> messages, int i, String content) {
        List<Map<String, Object>> out = new ArrayList<>(messages);
        Map<String, Object> m = new HashMap<>(messages.get(i));
        m.put("content", content);
        out.set(i, m);
        return out;
    }

    private static String stripTrailingWhitespace(String s) {
        int j = s.length();
        while (j > 0 && Character.isWhitespace(s.charAt(j - 1))) {
            j--;
        }
        return s.substring(0, j);
    }

    /**
     * For each token of {@code tokenText} (the texts of the tokens of {@link #text}, in order, as a
     * streaming decoder gives them), whether it lies inside an assistant span; a token counts when it starts
     * inside one.
     *
     * @return null when the token texts do not spell {@link #text} (a tokenizer that normalises)
     */
    public boolean[] tokensInSpans(List<String> tokenText) {
        boolean[] inside = new boolean[tokenText.size()];
        int pos = 0;
        int s = 0;
        for (int t = 0; t < tokenText.size(); t++) {
            String piece = tokenText.get(t);
            if (!text.startsWith(piece, pos)) {
                return null;
            }
            int at = pos;
            while (s < spans.size() && spans.get(s)[1] <= at) {
                s++;
            }
            // A token that completes no character (part of a multi-byte one) belongs to where the text is.
            inside[t] = s < spans.size() && at >= spans.get(s)[0] && at < spans.get(s)[1];
            pos += piece.length();
        }
        return pos == text.length() ? inside : null;
    }
}
