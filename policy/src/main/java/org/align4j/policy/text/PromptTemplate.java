package org.align4j.policy.text;

import org.align4j.policy.tokenizer.Tokenizer;

import java.util.List;

/**
 * Turns conversations into the text a model is trained and sampled on. The rendered text carries its
 * special tokens as text (e.g. {@code <|user|>}); encode it with {@code addSpecialTokens = false}, since
 * the tokenizer recognises them in the text.
 *
 * <p>For training on a reply, {@code renderPrompt(q) + renderCompletion(a)} is the whole sequence and
 * the loss covers the tokens of {@code renderCompletion(a)}; when sampling, generation stops at the
 * end-of-turn marker (the tokenizer's eos for align4j's and Qwen's templates).
 */
public interface PromptTemplate {

    /** The conversation; with {@code addGenerationPrompt} it ends with the opening of an assistant turn. */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** A single user turn, followed by the opening of the assistant's turn. */
    default String renderPrompt(String userText) {
        return render(List.of(ChatMessage.user(userText)), true);
    }

    /** The assistant's reply as it follows {@link #renderPrompt}: its text and the end-of-turn marker. */
    String renderCompletion(String assistantText);

    /** Plain concatenation: no markers at all (base models, pre-training style data). */
    static PromptTemplate plain() {
        return new PlainTemplate();
    }

    /**
     * The chat template of {@code tokenizer}'s model: the Jinja {@code chat_template} of its
     * tokenizer_config.json, rendered as transformers renders it ({@link HfChatTemplate}); for a tokenizer
     * without one, a format guessed from its special tokens ({@link ChatTemplate#forTokenizer}, said in the log).
     */
    static PromptTemplate chat(Tokenizer tokenizer) {
        HfChatTemplate hf = HfChatTemplate.of(tokenizer.config(), "chat_template of tokenizer_config.json");
        return hf != null ? hf : ChatTemplate.forTokenizer(tokenizer);
    }
}
