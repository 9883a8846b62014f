package org.align4j.dpo;

import org.align4j.policy.testing.TestFixtures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.align4j.policy.text.ChatMessage;
import org.align4j.policy.text.PromptTemplate;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceDatasetTest {
    @TempDir
    Path tmp;

    static Path tokenizerDir() {
        return TestFixtures.tinyTokenizer();
    }

    private Path write(String text) throws IOException {
        Path f = tmp.resolve("pairs.jsonl");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void textRowsGetBosOnThePromptAndEosOnEachCompletion() throws IOException {
        Tokenizer tok = Tokenizer.load(tokenizerDir());
        Path f = write("{\"prompt\": \"2+2=\", \"chosen\": \"4\", \"rejected\": \"5\", \"extra\": 1}\n");
        PreferenceDataset d = PreferenceDataset.read(f, tok, new PairTruncation(64, 32, PairTruncation.Mode.KEEP_END), 266);
        PreferencePair p = d.pairs().get(0);
        assertArrayEquals(tok.encode("2+2=", true), p.prompt());
        assertEquals(1, p.prompt()[0], "BOS");
        int[] four = tok.encode("4", false);
        int[] chosen = Arrays.copyOf(four, four.length + 1);
        chosen[four.length] = 2;
        assertArrayEquals(chosen, p.chosen());
        assertEquals(2, p.rejected()[p.rejected().length - 1], "EOS");
        assertEquals(f + ":1", p.source());
        assertEquals(0, d.truncated());
    }

    @Test
    void chatRowsGoThroughTheChatTemplate() throws IOException {
        Tokenizer tok = Tokenizer.load(tokenizerDir());
        PromptTemplate template = PromptTemplate.chat(tok);
        PairTruncation t = new PairTruncation(64, 32, PairTruncation.Mode.KEEP_END);
        Path f = write("{\"prompt\": [{\"role\": \"user\", \"content\": \"2+2?\"}], "
                + "\"chosen\": [{\"role\": \"assistant\", \"content\": \"4\"}], \"rejected\": \"5\"}\n");
        PreferencePair p = PreferenceDataset.read(f, tok, t, 266).pairs().get(0);
        String promptText = template.render(List.of(ChatMessage.user("2+2?")), true);
        assertArrayEquals(tok.encode(promptText, false), p.prompt());
        assertEquals(1, p.prompt()[0], "the template's BOS");
        assertArrayEquals(tok.encode(template.renderCompletion("4"), false), p.chosen());
        assertArrayEquals(tok.encode(template.renderCompletion("5"), false), p.rejected());
        String whole = template.render(List.of(ChatMessage.user("2+2?"), ChatMessage.assistant("4")), false);
        assertEquals(whole, promptText + template.renderCompletion("4"), "prompt + chosen is the conversation");
        assertTrue(Arrays.stream(p.chosen()).anyMatch(id -> id == 2), "the reply's turn ends with EOS");

        Path g = write("{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"chosen\": [{\"role\": \"user\", \"content\": \"again\"}], \"rejected\": \"b\"}\n");
        BadInputException e = assertThrows(BadInputException.class, () -> PreferenceDataset.read(g, tok, t, 266));
        assertEquals(g + ":1: 'chosen' must start with an assistant turn", e.getMessage());
        Path h = write("{\"prompt\": [{\"role\": \"robot\", \"content\": \"hi\"}], \"chosen\": \"a\", "
                + "\"rejected\": \"b\"}\n");
        e = assertThrows(BadInputException.class, () -> PreferenceDataset.read(h, tok, t, 266));
        assertEquals(h + ":1: prompt[0]: unknown role 'robot' (known: system, user, assistant)", e.getMessage());
    }

    @Test
    void longPairsAreTruncatedAndCounted() throws IOException {
        Path f = write("{\"prompt_ids\": [1, 3, 4, 5, 6, 7, 8], \"chosen_ids\": [9, 2], \"rejected_ids\": [10, 11, 2]}\n"
                + "\n"
                + "{\"prompt_ids\": [1, 3], \"chosen_ids\": [9, 2], \"rejected_ids\": [10, 2]}\n");
        PreferenceDataset d = PreferenceDataset.read(f, null, new PairTruncation(8, 4, PairTruncation.Mode.KEEP_END), 16);
        assertEquals(2, d.size());
        assertEquals(1, d.truncated());
        assertArrayEquals(new int[] {5, 6, 7, 8}, d.pairs().get(0).prompt());
        assertEquals(f + ":3", d.pairs().get(1).source(), "blank lines keep line numbers right");
        assertTrue(d.longestLength() <= 8);
    }

    @Test
    void emptyPromptsAndCompletionsAreRefused() throws IOException {
        PairTruncation t = new PairTruncation(8, 4, PairTruncation.Mode.KEEP_END);
        Path f = write("{\"prompt_ids\": [], \"chosen_ids\": [9], \"rejected_ids\": [10]}\n");
        BadInputException e = assertThrows(BadInputException.class, () -> PreferenceDataset.read(f, null, t, 16));
        assertTrue(e.getMessage().startsWith(f + ":1: empty prompt"), e.getMessage());
        Path g = write("{\"prompt_ids\": [1], \"chosen_ids\": [9], \"rejected_ids\": []}\n");
        e = assertThrows(BadInputException.class, () -> PreferenceDataset.read(g, null, t, 16));
        assertEquals(g + ":1: empty rejected completion", e.getMessage());
        Path h = write("{\"question\": \"?\"}\n");
        e = assertThrows(BadInputException.class, () -> PreferenceDataset.read(h, null, t, 16));
        assertTrue(e.getMessage().startsWith(h + ":1: a row needs 'prompt', 'chosen' and 'rejected'"), e.getMessage());
    }
}
