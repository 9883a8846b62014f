package org.align4j.policy.text;

import java.util.List;

/** Concatenates the message texts as they are, with nothing between or around them. */
final class PlainTemplate implements PromptTemplate {

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder out = new StringBuilder();
        for (ChatMessage m : messages) {
            out.append(m.content());
        }
        return out.toString();
    }

    @Override
    public String renderCompletion(String assistantText) {
        return assistantText;
    }
}
