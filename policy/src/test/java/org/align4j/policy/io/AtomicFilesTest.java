package org.align4j.policy.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class AtomicFilesTest {

    @TempDir
    Path tmp;

    private List<String> names() throws IOException {
        try (var s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesStringsBytesAndJson() throws Exception {
        AtomicFiles.writeString(tmp.resolve("a.txt"), "héllo");
        AtomicFiles.writeBytes(tmp.resolve("sub/b.bin"), new byte[]{1, 2, 3});
        AtomicFiles.writeJson(tmp.resolve("c.json"), Map.of("step", 3));
        assertEquals("héllo", Files.readString(tmp.resolve("a.txt")));
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(tmp.resolve("sub/b.bin")));
        assertTrue(Files.readString(tmp.resolve("c.json")).contains("\"step\" : 3"));
        assertEquals(List.of("a.txt", "c.json", "sub"), names());
    }

    @Test
    void aFailedWriteLeavesTheOldContentAndNoTemporaryFile() throws Exception {
        Path f = tmp.resolve("state.json");
        AtomicFiles.writeString(f, "old");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            out.write("half".getBytes());
            throw new IllegalStateException("crash");
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void replacesADirectory() throws Exception {
        Path fin = tmp.resolve("ckpt");
        Files.createDirectories(fin);
        Files.writeString(fin.resolve("old.txt"), "1");
        Path next = tmp.resolve("ckpt.tmp");
        Files.createDirectories(next);
        Files.writeString(next.resolve("new.txt"), "2");
        AtomicFiles.replaceDirectory(next, fin);
        assertEquals("2", Files.readString(fin.resolve("new.txt")));
        assertFalse(Files.exists(fin.resolve("old.txt")));
        assertEquals(List.of("ckpt"), names());
    }
}
