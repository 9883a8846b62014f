package org.align4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.dpo.DpoConfig;
import org.align4j.dpo.kto.KtoConfig;
import org.align4j.dpo.orpo.OrpoConfig;
import org.align4j.dpo.simpo.SimpoConfig;
import org.align4j.examples.demo.CodeDemoConfig;
import org.align4j.examples.demo.DemoConfig;
import org.align4j.grpo.GrpoConfig;
import org.align4j.policy.sft.SftConfig;
import org.align4j.reward.model.train.RewardConfig;

/**
 * The config keys of each trainer command (and of the demo's --set), as printed by {@code --list-keys}. They are read from resources
 * generated from the config classes (javadoc for the help, reflection for key, type, default and allowed
 * values) by {@code ConfigReferenceTest}, which also writes docs/config-reference.md and fails when either is
 * stale. To give a new trainer command its keys: add it to {@link #TRAINERS}, put {@code @Mixin ListKeysOption
 * listKeys;} on the command and regenerate (see docs/architecture.md, "How to add a config key").
 */
final class ConfigKeys {

    /**
     * Trainer commands (names below the root command) and the config class each one loads; a command whose config
     * depends on an option has one entry per config, the option after the name ("demo --task code").
     */
    static final Map<String, Class<?>> TRAINERS = new LinkedHashMap<>();

    static {
        TRAINERS.put("sft", SftConfig.class);
        TRAINERS.put("rm train", RewardConfig.class);
        TRAINERS.put("dpo", DpoConfig.class);
        TRAINERS.put("grpo", GrpoConfig.class);
        TRAINERS.put("kto", KtoConfig.class);
        TRAINERS.put("orpo", OrpoConfig.class);
        TRAINERS.put("simpo", SimpoConfig.class);
        TRAINERS.put("demo", DemoConfig.class); // not a trainer: its keys are set with --set only
        TRAINERS.put("demo --task code", CodeDemoConfig.class); // the demo's code task (ListKeysOption.ConfigVariant)
    }

    /** The command that regenerates the resources and docs/config-reference.md. */
    static final String REGENERATE =
            "mvn -o -q -B -pl cli -am test -Dtest=ConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dalign4j.regenerate=true";

    /** One key: its dotted snake_case name, type, default, allowed values (empty: any) and help text. */
    record Key(String key, String type, String defaultValue, String allowed, String help) {

        String toLine() {
            return String.join("\t", key, type, defaultValue, allowed, help);
        }

        static Key ofLine(String line) {
            String[] f = line.split("\t", -1);
            if (f.length != 5) {
                throw new IllegalStateException("malformed config-keys line (regenerate with " + REGENERATE + "): " + line);
            }
            return new Key(f[0], f[1], f[2], f[3], f[4]);
        }
    }

    private ConfigKeys() {
    }

    /** The resource holding trainer's keys, e.g. "rm train" -> config-keys/rm-train.tsv, "demo --task code" -> demo-task-code.tsv. */
    static String resource(String trainer) {
        return "config-keys/" + trainer.replace(" --", " ").replace(' ', '-') + ".tsv";
    }

    static List<Key> of(String trainer) {
        if (!TRAINERS.containsKey(trainer)) {
            throw new IllegalArgumentException("no config keys for '" + trainer + "' (known: "
                    + String.join(", ", TRAINERS.keySet()) + ")");
        }
        try (InputStream in = ConfigKeys.class.getResourceAsStream(resource(trainer))) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource(trainer) + "; regenerate with " + REGENERATE);
            }
            List<Key> keys = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    keys.add(Key.ofLine(line));
                }
            }
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints each key as "key  type  default [allowed]" and its help, indented and wrapped. */
    static void print(String trainer, PrintWriter out) {
        List<Key> keys = of(trainer);
        int width = keys.stream().mapToInt(k -> k.key().length()).max().orElse(0);
        for (Key k : keys) {
            StringBuilder line = new StringBuilder(String.format("%-" + width + "s  %s  default: %s", k.key(), k.type(),
                    k.defaultValue()));
            if (!k.allowed().isEmpty()) {
                line.append("  one of: ").append(k.allowed());
            }
            out.println(line);
            for (String l : wrap(k.help(), 100)) {
                out.println("    " + l);
            }
        }
        out.flush();
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }
}
