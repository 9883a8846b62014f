package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoOutputTest {

    @TempDir
    Path dir;

    @Test
    void createsMissingAndAcceptsEmptyDirectories() {
        assertTrue(Files.isDirectory(DemoOutput.prepare(dir.resolve("a/b"), false).dir()));
        DemoOutput.prepare(dir.resolve("a/b"), false); // still empty
    }

    @Test
    void refusesNonEmptyDirectoryWithoutForce() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        BadInputException e = assertThrows(BadInputException.class, () -> DemoOutput.prepare(dir, false));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("--force"), e.getMessage());
    }

    @Test
    void forceDeletesOnlyTheDemosOwnEntries() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Files.createDirectories(dir.resolve("sft/final"));
        Files.writeString(dir.resolve("summary.json"), "{}");
        DemoOutput.prepare(dir, true);
        assertTrue(Files.exists(dir.resolve("notes.txt")));
        assertFalse(Files.exists(dir.resolve("sft")));
        assertFalse(Files.exists(dir.resolve("summary.json")));
    }

    @Test
    void refusesAFile() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        assertThrows(BadInputException.class, () -> DemoOutput.prepare(f, true));
    }
}
