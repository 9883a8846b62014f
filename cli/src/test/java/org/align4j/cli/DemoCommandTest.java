package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo's refusals, each one line before any work starts (the pipeline itself: MiniDeepSeekMathTest). */
class DemoCommandTest {
    @TempDir
    Path dir;

    private static String[] run(String... args) {
        CommandLine cl = Align4j.commandLine();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        return new String[] {Integer.toString(cl.execute(args)), err.toString()};
    }

    @Test
    void refusesANonEmptyOutputDirectoryAndNamesForce() throws Exception {
        Files.writeString(dir.resolve("mine.txt"), "x");
        String[] r = run("demo", "--out", dir.toString());
        assertEquals("2", r[0]);
        assertTrue(r[1].contains(dir.toString()) && r[1].contains("--force") && r[1].strip().lines().count() == 1, r[1]);
        assertTrue(Files.exists(dir.resolve("mine.txt")));
    }

    @Test
    void refusesUnknownAndInconsistentSettingsNamingTheKey() {
        String[] r = run("demo", "--out", dir.resolve("a").toString(), "--set", "grpo_stepz=3");
        assertEquals("2", r[0]);
        assertTrue(r[1].contains("grpo_stepz"), r[1]);
        r = run("demo", "--out", dir.resolve("b").toString(), "--process", "--iterative");
        assertEquals("2", r[0]);
        assertTrue(r[1].contains("iterative"), r[1]);
        assertTrue(!Files.exists(dir.resolve("a")) && !Files.exists(dir.resolve("b")), "nothing written");
    }
}
