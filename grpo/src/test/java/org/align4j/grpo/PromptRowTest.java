package org.align4j.grpo;

import org.align4j.policy.testing.TestFixtures;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GRPO prompts as text and, as in TRL's conversational datasets, as messages rendered by the chat template. */
class PromptRowTest {

    /** A chat template over the arith tokenizer's characters: "3+4=" for a user turn, a space to answer. */
    private static final String TEMPLATE = "{% for m in messages %}{% if m.role == 'system' %}{{ m.content + '\\n' }}"
            + "{% else %}{{ m.content }}{% if m.role == 'user' %}={% endif %}{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '  ' if wide is defined and wide else ' ' }}{% endif %}";

    @TempDir
    Path dir;

    @Test
    void conversationalPromptsAreRenderedWithTheGenerationPrompt() throws Exception {
        Path tok = tokenizerWithTemplate();
        Path data = dir.resolve("prompts.jsonl");
        Files.writeString(data, "{\"prompt\": [{\"role\": \"system\", \"content\": \"0\"}, {\"role\": \"user\", \"content\": \"3+4\"}], \"answer\": \"7\"}\n"
                + "{\"prompt\": [{\"role\": \"user\", \"content\": \"1+1\"}], \"chat_template_kwargs\": {\"wide\": true}}\n"
                + "{\"prompt\": \"5+5=\"}\n");
        Tokenizer t = Tokenizer.load(tok);
        List<PromptRow> rows = PromptRow.read(data, t, 64, 0);
        assertEquals("0\n3+4= ", rows.get(0).prompt().text());
        assertArrayEquals(t.encode("0\n3+4= ", false), rows.get(0).prompt().ids());
        assertEquals("7", rows.get(0).row().get("answer"));
        assertEquals("1+1=  ", rows.get(1).prompt().text(), "chat_template_kwargs reach the template");
        assertEquals("5+5=", rows.get(2).prompt().text());
    }

    @Test
    void conversationalPromptsNeedAChatTemplate() throws Exception {
        Path data = dir.resolve("p.jsonl");
        Files.writeString(data, "{\"prompt\": [{\"role\": \"user\", \"content\": \"3+4\"}]}\n");
        Tokenizer plain = Tokenizer.load(arith());
        BadInputException e = assertThrows(BadInputException.class, () -> PromptRow.read(data, plain, 64, 0));
        assertTrue(e.getMessage().startsWith(data + ":1: conversational rows need a chat_template"), e.getMessage());
    }

    private Path tokenizerWithTemplate() throws Exception {
        Path out = dir.resolve("tok");
        Files.createDirectories(out);
        Files.copy(arith().resolve("tokenizer.json"), out.resolve("tokenizer.json"));
        Files.writeString(out.resolve("tokenizer_config.json"), new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(java.util.Map.of("eos_token", "</s>", "chat_template", TEMPLATE)));
        return out;
    }

    private static Path arith() throws Exception {
        return TestFixtures.arithTokenizer();
    }
}
