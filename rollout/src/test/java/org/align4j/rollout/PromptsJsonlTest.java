package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptsJsonlTest {
    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        Path f = dir.resolve("prompts.jsonl");
        Files.writeString(f, content);
        return f;
    }

    @Test
    void readsTextAndIdPromptsWithIds() throws IOException {
        Tokenizer tok = TestModels.tinyTokenizer();
        List<Prompt> p = PromptsJsonl.read(file("{\"prompt\": \"the answer\", \"id\": \"q1\"}\n\n"
                + "{\"prompt_ids\": [5, 6, 7]}\n{\"prompt_ids\": [9], \"id\": 17}\n"), tok);
        assertEquals(3, p.size());
        assertEquals("q1", p.get(0).id());
        assertEquals("the answer", p.get(0).text());
        assertArrayEquals(tok.encode("the answer", true), p.get(0).ids());
        assertEquals(1, p.get(0).ids()[0]); // <s> added by the template
        assertEquals("1", p.get(1).id());
        assertNull(p.get(1).text());
        assertArrayEquals(new int[] {5, 6, 7}, p.get(1).ids());
        assertEquals("17", p.get(2).id());
    }

    @Test
    void badRowsNameTheFileAndLine() throws IOException {
        Path f = file("{\"prompt_ids\": [1]}\n{\"prompt\": \"\"}\n");
        assertEquals(f + ":2: key 'prompt' must be a non-empty string",
                assertThrows(BadInputException.class, () -> PromptsJsonl.read(f, null)).getMessage());
        Path g = file("{\"prompt_ids\": []}\n");
        assertEquals(g + ":1: key 'prompt_ids' must be a non-empty array of token ids",
                assertThrows(BadInputException.class, () -> PromptsJsonl.read(g, null)).getMessage());
        Path h = file("{\"prompt\": \"hi\"}\n");
        assertEquals(h + ":1: a text prompt needs a tokenizer (tokenizer.json in the model directory); give"
                        + " 'prompt_ids' instead",
                assertThrows(BadInputException.class, () -> PromptsJsonl.read(h, null)).getMessage());
        Path i = file("{\"text\": \"hi\"}\n");
        assertEquals(i + ":1: expected exactly one of the keys 'prompt' and 'prompt_ids'",
                assertThrows(BadInputException.class, () -> PromptsJsonl.read(i, null)).getMessage());
        Path j = file("{\"prompt_ids\": [1, \"a\"]}\n");
        assertEquals(j + ":1: prompt_ids[1] is not a token id: \"a\"",
                assertThrows(BadInputException.class, () -> PromptsJsonl.read(j, null)).getMessage());
        Path k = file("{\"prompt_ids\": [1]\n");
        assertEquals(true, assertThrows(BadInputException.class, () -> PromptsJsonl.read(k, null)).getMessage()
                .startsWith(k + ":1: not valid JSON"));
        Path e = file("\n");
        assertEquals(e + ": no prompts",
                assertThrows(BadInputException.class, () -> PromptsJsonl.read(e, null)).getMessage());
    }
}
