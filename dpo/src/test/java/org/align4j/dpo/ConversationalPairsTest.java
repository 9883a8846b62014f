package org.align4j.dpo;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversational preference pairs through a tokenizer's own Jinja chat template, split as TRL splits them. */
class ConversationalPairsTest {

    /** ChatML-like, with tool turns and a system prompt only when tools are given. */
    private static final String TEMPLATE = "{% if tools %}{{ '<s>system\\ntools:' }}{% for t in tools %}{{ ' ' + t.name }}{% endfor %}{{ '</s>\\n' }}{% endif %}"
            + "{% for m in messages %}{{ '<s>' + m.role + '\\n' + m.content + '</s>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<s>assistant\\n' }}{% endif %}";

    @TempDir
    Path dir;

    @Test
    void chosenAndRejectedAreWhatTheReplyAddsAfterThePrompt() throws Exception {
        Tokenizer tok = tokenizer();
        Path f = dir.resolve("pairs.jsonl");
        Files.writeString(f, "{\"prompt\": [{\"role\": \"user\", \"content\": \"2+2?\"}],"
                + " \"chosen\": [{\"role\": \"assistant\", \"content\": \"4\"}],"
                + " \"rejected\": [{\"role\": \"assistant\", \"content\": \"5\"}], \"tools\": [{\"name\": \"calc\"}]}\n");
        PreferencePair p = PreferenceDataset.read(f, tok, new PairTruncation(128, 64, PairTruncation.Mode.KEEP_END), 266)
                .pairs().get(0);
        assertArrayEquals(tok.encode("<s>system\ntools: calc</s>\n<s>user\n2+2?</s>\n<s>assistant\n", false), p.prompt());
        assertArrayEquals(tok.encode("4</s>\n", false), p.chosen());
        assertArrayEquals(tok.encode("5</s>\n", false), p.rejected());
    }

    @Test
    void aReplyThatDoesNotContinueThePromptIsAOneLineError() throws Exception {
        Tokenizer tok = tokenizer();
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}],"
                + " \"chosen\": [{\"role\": \"user\", \"content\": \"again\"}], \"rejected\": \"b\"}\n");
        BadInputException e = assertThrows(BadInputException.class,
                () -> PreferenceDataset.read(f, tok, new PairTruncation(128, 64, PairTruncation.Mode.KEEP_END), 266));
        assertTrue(e.getMessage().startsWith(f + ":1: 'chosen' must continue 'prompt' with an assistant turn"), e.getMessage());
    }

    private Tokenizer tokenizer() throws Exception {
        Path out = dir.resolve("tok");
        Files.createDirectories(out);
        Files.copy(PreferenceDatasetTest.tokenizerDir().resolve("tokenizer.json"), out.resolve("tokenizer.json"));
        Files.writeString(out.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(
                Map.of("bos_token", "<s>", "eos_token", "</s>", "pad_token", "<pad>", "chat_template", TEMPLATE)));
        return Tokenizer.load(out);
    }
}
