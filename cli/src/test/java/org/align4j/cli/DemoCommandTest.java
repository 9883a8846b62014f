package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's refusals, each one line before any work starts (the pipeline itself: MiniDeepSeekMathTest). */
class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void refusesANonEmptyOutputDirectoryAndNamesForce() throws Exception {
        Files.writeString(dir.resolve("mine.txt"), "x");
        CliRun r = CliRun.of("demo", "--out", dir.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains(dir.toString()) && r.err().contains("--force") && r.err().strip().lines().count() == 1, r.err());
        assertTrue(Files.exists(dir.resolve("mine.txt")));
    }

    @Test
    void refusesUnknownAndInconsistentSettingsNamingTheKey() {
        CliRun r = CliRun.of("demo", "--out", dir.resolve("a").toString(), "--set", "grpo_stepz=3");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("grpo_stepz"), r.err());
        r = CliRun.of("demo", "--out", dir.resolve("b").toString(), "--process", "--iterative");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("iterative"), r.err());
        assertTrue(!Files.exists(dir.resolve("a")) && !Files.exists(dir.resolve("b")), "nothing written");
    }
}
