package org.align4j.policy.io;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class JsonlReaderTest {

    @TempDir
    Path tmp;

    public record Problem(String prompt, int answer, String groundTruth) {
    }

    private Path write(String text) throws Exception {
        Path f = tmp.resolve("data.jsonl");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void streamsMapsSkippingBlankLines() throws Exception {
        Path f = write("{\"prompt\": \"1+1\", \"answer\": 2}\n\n   \n{\"prompt\": \"x\", \"answer\": 2.5, \"tags\": [\"a\"]}\n");
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(f, "prompt")) {
            Map<String, Object> a = r.next();
            assertEquals("1+1", a.get("prompt"));
            assertEquals(2, a.get("answer"));
            assertEquals(1, r.lineNumber());
            Map<String, Object> b = r.next();
            assertEquals(2.5, b.get("answer"));
            assertEquals(List.of("a"), b.get("tags"));
            assertEquals(4, r.lineNumber());
            assertFalse(r.hasNext());
        }
    }

    @Test
    void bindsRowsToARecordWithSnakeCaseKeys() throws Exception {
        Path f = write("{\"prompt\": \"p\", \"answer\": 3, \"ground_truth\": \"3\", \"extra\": true}\n{\"prompt\": \"q\", \"answer\": 4}\n");
        List<Problem> rows = JsonlReader.readAll(f, Problem.class, "prompt", "answer");
        assertEquals(new Problem("p", 3, "3"), rows.get(0));
        assertEquals(new Problem("q", 4, null), rows.get(1));
        try (JsonlReader<Problem> r = JsonlReader.open(f, Problem.class)) {
            assertEquals(2, r.stream().count());
        }
    }

    @Test
    void errorsNameFileAndLine() throws Exception {
        Path f = write("{\"prompt\": \"a\", \"answer\": 1}\n\n{\"prompt\": \"b\", \"answer\": 1\n");
        BadInputException e = assertThrows(BadInputException.class, () -> JsonlReader.readAll(f, Problem.class));
        assertTrue(e.getMessage().startsWith(f + ":3: bad JSON: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        Path g = write("{\"prompt\": \"a\", \"answer\": 1}\n{\"answer\": 1}\n");
        assertEquals(g + ":2: missing required key 'prompt'",
                assertThrows(BadInputException.class, () -> JsonlReader.readAll(g, Problem.class, "prompt")).getMessage());

        Path h = write("{\"prompt\": \"a\", \"answer\": \"two\"}\n");
        assertEquals(h + ":1: key 'answer': expected an integer, got 'two'",
                assertThrows(BadInputException.class, () -> JsonlReader.readAll(h, Problem.class)).getMessage());

        Path i = write("[1, 2]\n");
        assertEquals(i + ":1: expected a JSON object, got array",
                assertThrows(BadInputException.class, () -> JsonlReader.readAll(i, Problem.class)).getMessage());

        Path j = write("{\"prompt\": \"a\"} {\"prompt\": \"b\"}\n");
        assertTrue(assertThrows(BadInputException.class, () -> JsonlReader.readAll(j, Problem.class))
                .getMessage().startsWith(j + ":1: bad JSON"), "two objects on one line");

        assertEquals(tmp.resolve("none.jsonl") + ": no such file",
                assertThrows(BadInputException.class, () -> JsonlReader.open(tmp.resolve("none.jsonl"))).getMessage());
    }
}
