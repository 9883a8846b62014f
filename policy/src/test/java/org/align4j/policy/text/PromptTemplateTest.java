package org.align4j.policy.text;

import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.TestTokenizers;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.tokenizer.TrainedBpe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PromptTemplateTest {

    @Test
    void plainTemplateConcatenates() {
        PromptTemplate plain = PromptTemplate.plain();
        assertEquals("Q: 2+2? A: 4", plain.render(List.of(ChatMessage.user("Q: 2+2? "), ChatMessage.assistant("A: 4")), true));
        assertEquals("What is 2+2?", plain.renderPrompt("What is 2+2?"));
        assertEquals("4", plain.renderCompletion("4"));
    }

    @Test
    void trainedTokenizerTemplateUsesTheMarkersOfItsConfig(@TempDir Path dir) {
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(300);
        trainer.add("what is two plus two? four. what is three plus three? six.");
        TrainedBpe bpe = trainer.train();
        bpe.save(dir);
        Tokenizer tok = Tokenizer.load(dir);
        PromptTemplate chat = PromptTemplate.chat(tok);
        String prompt = chat.renderPrompt("2+2?");
        // Every turn ends with eos, as the Jinja chat_template written beside it does.
        assertEquals("<|begin_of_text|><|user|>\n2+2?<|end_of_text|><|assistant|>\n", prompt);
        assertEquals("4<|end_of_text|>", chat.renderCompletion("4"));
        int[] ids = tok.encode(prompt + chat.renderCompletion("4"), false);
        assertEquals(tok.bosId(), ids[0]);
        assertEquals(tok.tokenId("<|user|>").getAsInt(), ids[1]);
        assertEquals(tok.eosId(), ids[ids.length - 1]);
        assertEquals("<|begin_of_text|><|system|>\nBe brief.<|end_of_text|><|user|>\nhi<|end_of_text|>",
                chat.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("hi")), false));
    }

    @Test
    void qwenGetsChatMlFromItsTemplate() {
        Tokenizer qwen = load("qwen3");
        PromptTemplate chat = PromptTemplate.chat(qwen);
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", chat.renderPrompt("hi"));
        assertEquals("hello<|im_end|>\n", chat.renderCompletion("hello"));
        int[] ids = qwen.encode(chat.renderCompletion("hello"), false);
        assertEquals(qwen.eosId(), ids[ids.length - 2]);
    }

    @Test
    void deepSeekGetsItsUserAndAssistantMarkers() {
        Tokenizer ds = load("deepseek_v3");
        PromptTemplate chat = PromptTemplate.chat(ds);
        assertEquals("<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜>", chat.renderPrompt("hi"));
        assertEquals("hello<｜end▁of▁sentence｜>", chat.renderCompletion("hello"));
        int[] ids = ds.encode(chat.renderPrompt("hi"), false);
        assertArrayEquals(new int[] {0, ds.tokenId("<｜User｜>").getAsInt()}, java.util.Arrays.copyOf(ids, 2));
    }

    @Test
    void theGuessedFormatRefusesARoleItDoesNotKnow() {
        PromptTemplate chat = ChatTemplate.forTokenizer(load("qwen3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> chat.render(List.of(new ChatMessage("tool", "x")), false));
        assertEquals(true, e.getMessage().contains("'tool'"));
    }

    private static Tokenizer load(String name) {
        return TestTokenizers.get(name);
    }
}
