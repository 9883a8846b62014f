package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every --help page: its examples run as printed after the demo, and all pages look alike. */
class HelpExamplesTest {

    private static List<CommandLine> commands() {
        return HelpExamples.commands(Align4j.commandLine());
    }

    @Test
    void everyExampleRunsAsPrintedAfterTheDemo(@TempDir Path root) throws Exception {
        copyTree(Paths.get("../examples/configs"), root.resolve("examples/configs"));
        Path log = root.resolve("stderr.log");
        Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx3g", "-cp", System.getProperty("java.class.path"), HelpExamples.class.getName())
                .directory(root.toFile()).redirectError(log.toFile()).start();
        String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int failed = p.waitFor();
        String tail = String.join("\n", lastLines(log, 30));
        assertEquals(0, failed, report + "\nstderr tail:\n" + tail);
        long ran = report.lines().filter(l -> l.startsWith("ok ")).count();
        long expected = commands().stream().mapToLong(cl -> HelpExamples.examples(cl).size()).sum();
        assertEquals(expected, ran, report);
        assertTrue(expected >= 40, "examples found: " + expected);
    }

    @Test
    void examplesAreNeverWrappedAndUseOneSpellingOfTheLauncher() {
        for (CommandLine cl : commands()) {
            String help = HelpExamples.help(cl);
            List<String> printed = help.lines().toList();
            for (String f : cl.getCommandSpec().usageMessage().footer()) {
                assertTrue(f.length() <= 80, cl.getCommandSpec().qualifiedName() + ": footer line over 80 columns: " + f);
                assertTrue(f.isEmpty() || printed.contains(f), cl.getCommandSpec().qualifiedName()
                        + ": footer line wrapped when printed: " + f + "\n" + help);
            }
            for (HelpExamples.Example e : HelpExamples.examples(cl)) {
                String program = HelpExamples.split(e.line()).words().get(0);
                assertTrue(Set.of("./align4j", "echo", "printf").contains(program), e.toString());
            }
            Matcher bare = Pattern.compile("(?<!\\./)\\balign4j (" + String.join("|",
                    Align4j.commandLine().getSubcommands().keySet()) + ")\\b").matcher(
                    String.join("\n", cl.getCommandSpec().usageMessage().description()) + "\n"
                            + String.join("\n", cl.getCommandSpec().usageMessage().footer()));
            assertFalse(bare.find(), cl.getCommandSpec().qualifiedName() + ": 'align4j' without './' in its help");
        }
    }

    @Test
    void everyPageIsLaidOutAlike() {
        for (CommandLine cl : commands()) {
            String name = cl.getCommandSpec().qualifiedName();
            String help = HelpExamples.help(cl);
            assertEquals(0, cl.getCommandSpec().usageMessage().header().length, name + " has a header line");
            assertTrue(help.startsWith("Usage: " + name), name + ":\n" + help);
            if (!name.equals("align4j")) {
                assertFalse(HelpExamples.examples(cl).isEmpty(), name + " has no examples:\n" + help);
                assertTrue(help.contains("\n\nExamples:\n"), name + ":\n" + help);
                assertFalse(help.contains("\nExample:\n"), name);
            }
        }
    }

    @Test
    void theCommandListEndsEverySummaryWithItsSentence() {
        String top = HelpExamples.help(Align4j.commandLine());
        List<String> entries = new ArrayList<>();
        boolean inList = false;
        for (String l : top.lines().toList()) {
            if (l.equals("Commands:")) {
                inList = true;
            } else if (inList && l.matches("  \\S.*")) {
                entries.add(l.strip());
            } else if (inList && l.startsWith("    ")) {
                entries.set(entries.size() - 1, entries.get(entries.size() - 1) + " " + l.strip());
            }
        }
        assertTrue(entries.size() >= 15, top);
        for (String entry : entries) {
            assertTrue(entry.endsWith("."), "cut mid-sentence: " + entry);
        }
    }

    @Test
    void aUsageErrorIsTheProblemAndAPointerToHelpUnderTheFullCommandPath() {
        CliRun r = CliRun.of("sft", "--config", "sft.yaml", "--nope");
        assertEquals(2, r.exit());
        assertFalse(r.err().contains("Usage:"), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals("align4j sft: error: Unknown option: '--nope'", lines.get(0));
        assertEquals("Try './align4j sft --help'.", lines.get(lines.size() - 1));
        r = CliRun.of("reward", "code", "--language", "python");
        assertEquals(2, r.exit());
        assertEquals(2, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("align4j reward code: error: Missing required options: "), r.err());
        assertTrue(r.err().strip().endsWith("Try './align4j reward code --help'."), r.err());
    }

    @Test
    void versionIsTheMavenProjectVersion() throws Exception {
        Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(Files.readString(Paths.get("pom.xml")));
        assertTrue(m.find());
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.exit());
        assertEquals("align4j " + m.group(1), r.out().strip());
        assertFalse(r.out().contains("dev"));
    }

    private static List<String> lastLines(Path file, int n) throws java.io.IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> all = Files.readAllLines(file);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString().replace(File.separatorChar, '/'));
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
