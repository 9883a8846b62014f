package org.align4j.examples.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.util.BadInputException;

/**
 * The demo's output directory and the layout inside it. A non-empty directory is refused, since the
 * trainers refuse to start over a run; with force, only the entries the demo itself writes are deleted,
 * so a mistaken --out never costs the user other files.
 */
public final class DemoOutput {
    private final Path dir;

    private DemoOutput(Path dir) {
        this.dir = dir;
    }

    /** Names the demo writes directly under its directory. */
    static final List<String> ENTRIES = List.of("train.jsonl", "dev.jsonl", "test.jsonl", "rm-train.jsonl",
            "tokenizer", "model-config.json", "sft", "rm", "grpo", "eval", "summary.json");

    public static DemoOutput prepare(Path dir, boolean force) {
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new BadInputException(dir + ": exists and is not a directory");
            }
            if (Files.isDirectory(dir) && !isEmpty(dir)) {
                if (!force) {
                    throw new BadInputException(dir + ": not empty; choose another --out or pass --force to replace "
                            + "the demo's outputs in it");
                }
                for (String e : ENTRIES) {
                    AtomicFiles.deleteRecursively(dir.resolve(e));
                }
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
        return new DemoOutput(dir);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    public Path dir() {
        return dir;
    }

    public Path trainFile() {
        return dir.resolve("train.jsonl");
    }

    public Path devFile() {
        return dir.resolve("dev.jsonl");
    }

    public Path testFile() {
        return dir.resolve("test.jsonl");
    }

    public Path tokenizer() {
        return dir.resolve("tokenizer");
    }

    public Path initConfig() {
        return dir.resolve("model-config.json");
    }

    public Path sftRun() {
        return dir.resolve("sft");
    }

    /** The first reward model's training rows (iterative RL). */
    public Path rewardData() {
        return dir.resolve("rm-train.jsonl");
    }

    public Path rewardRun() {
        return dir.resolve("rm");
    }

    public Path grpoRun() {
        return dir.resolve("grpo");
    }

    public Path evalRows(String name) {
        return dir.resolve("eval/" + name + ".jsonl");
    }

    public Path summary() {
        return dir.resolve("summary.json");
    }
}
