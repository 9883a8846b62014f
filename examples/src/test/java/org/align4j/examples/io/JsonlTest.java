package org.align4j.examples.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTest {

    record Row(String text, int n) {
    }

    @TempDir
    Path tmp;

    @Test
    void writesOneCompactObjectPerLineAndLeavesNoTemporaryFile() throws Exception {
        Path f = tmp.resolve("sub/rows.jsonl");
        Jsonl.write(f, List.of(new Row("a\nb", 1), new Row("é", 2)));
        assertEquals("{\"text\":\"a\\nb\",\"n\":1}\n{\"text\":\"é\",\"n\":2}\n", Files.readString(f));
        Jsonl.write(f, List.of());
        assertEquals("", Files.readString(f));
        try (var files = Files.list(f.getParent())) {
            assertEquals(List.of(f), files.toList());
        }
    }
}
