package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The committed config reference (the resources --list-keys prints and docs/config-reference.md) must equal what
 * the config classes generate; with -Dalign4j.regenerate=true the test rewrites them instead. Every public config
 * field must have a javadoc, which is its help text.
 */
class ConfigReferenceTest {

    private static final boolean REGENERATE = Boolean.getBoolean("align4j.regenerate");

    private final Path root = ConfigReference.findRepoRoot();

    @Test
    void committedReferenceIsCurrent() throws IOException {
        ConfigReference ref = new ConfigReference(root);
        Map<Path, String> expected = new LinkedHashMap<>();
        Path resources = root.resolve("cli/src/main/resources/org/align4j/cli");
        for (String trainer : ConfigKeys.TRAINERS.keySet()) {
            expected.put(resources.resolve(ConfigKeys.resource(trainer)), ref.resource(trainer));
        }
        expected.put(root.resolve("docs/config-reference.md"), ref.markdown());
        List<String> stale = new ArrayList<>();
        for (Map.Entry<Path, String> e : expected.entrySet()) {
            Path file = e.getKey();
            String now = Files.isRegularFile(file) ? Files.readString(file) : null;
            if (e.getValue().equals(now)) {
                continue;
            }
            if (REGENERATE) {
                Files.createDirectories(file.getParent());
                Files.writeString(file, e.getValue());
            } else {
                stale.add(root.relativize(file).toString());
            }
        }
        if (!stale.isEmpty()) {
            fail("the config reference is stale (" + String.join(", ", stale) + "); regenerate it with: " + ConfigKeys.REGENERATE);
        }
    }

    @Test
    void everyPublicConfigFieldHasJavadoc() {
        ConfigReference ref = new ConfigReference(root);
        for (Class<?> c : ConfigKeys.TRAINERS.values()) {
            ref.rows(c);
        }
        assertTrue(ref.undocumented.isEmpty(), "config fields without a javadoc (their --list-keys help): "
                + new TreeSet<>(ref.undocumented.stream().map(u -> u.field() + " (" + u.key() + ")").toList()));
    }

    @Test
    void everyTrainerCommandListsItsKeys() {
        Set<String> withOption = new TreeSet<>();
        collect(Align4j.commandLine(), withOption);
        Set<String> commands = new TreeSet<>();
        ConfigKeys.TRAINERS.keySet().forEach(t -> commands.add(ListKeysOption.command(t)));
        assertEquals(commands, withOption, "commands with ListKeysOption must be the trainers of ConfigKeys.TRAINERS");
    }

    private static void collect(CommandLine cl, Set<String> into) {
        for (CommandLine.Model.CommandSpec m : cl.getCommandSpec().mixins().values()) {
            if (m.userObject() instanceof ListKeysOption o) {
                into.add(o.trainer());
            }
        }
        for (CommandLine sub : cl.getSubcommands().values()) {
            collect(sub, into);
        }
    }

    @Test
    void listKeysPrintsWithoutAConfig() {
        CliRun r = CliRun.of("rm", "train", "--list-keys");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("learning_rate"), r.out());
        assertTrue(r.out().matches("(?s).*kind\\s+string\\s+default: unset\\s+one of: orm, prm.*"), r.out());
        CliRun g = CliRun.of("grpo", "--list-keys");
        assertEquals(0, g.exit(), g.err());
        assertTrue(g.out().contains("iterative.replay_fraction"), g.out());
        assertTrue(g.out().contains("math_answer"), g.out());
    }

    @Test
    void listKeysOfTheDemoFollowsItsTask() {
        CliRun code = CliRun.of("demo", "--task", "code", "--list-keys");
        assertEquals(0, code.exit(), code.err());
        assertTrue(code.out().matches("(?s).*shortcut_share\\s+float\\s+default: 0\\.5.*"), code.out());
        assertTrue(code.out().matches("(?s).*max_position_embeddings\\s+int\\s+default: 128.*"), code.out());
        assertTrue(!code.out().contains("terse_share"), code.out());
        CliRun math = CliRun.of("demo", "--list-keys");
        assertEquals(0, math.exit(), math.err());
        assertTrue(math.out().matches("(?s).*max_position_embeddings\\s+int\\s+default: 256.*"), math.out());
        assertTrue(math.out().contains("terse_share") && !math.out().contains("shortcut_share"), math.out());
        CliRun bad = CliRun.of("demo", "--task", "poetry", "--list-keys");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--task must be math or code") && bad.err().strip().lines().count() == 1, bad.err());
        String docs = new ConfigReference(root).markdown();
        assertTrue(docs.contains("## demo --task code") && docs.contains("| `completions_per_sandbox` |"), "no code demo section");
    }

    @Test
    void javadocMarkupIsRemoved() {
        assertEquals("grpo (see LossType), a x", ConfigReference.clean(" * grpo (see {@link LossType}),\n   * {@code a} x "));
        assertEquals("1e-6", ConfigReference.render(1e-6));
        assertEquals("[{type: math_answer}]", ConfigReference.render(List.of(Map.of("type", "math_answer"))));
    }
}
