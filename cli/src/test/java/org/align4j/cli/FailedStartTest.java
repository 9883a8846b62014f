package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start that fails on its inputs writes nothing into output_dir, and says what was wrong in one line. */
class FailedStartTest {

    @TempDir
    Path dir;

    private CliRun run(TrainerKind kind, String... sets) throws IOException {
        Path cfg = kind.config(dir, false, "max_steps: 2", "save_steps: 1");
        List<String> args = new ArrayList<>(kind.command());
        args.add("--config");
        args.add(cfg.toString());
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        return CliRun.of(args.toArray(new String[0]));
    }

    /** output_dir exists (empty) before the run and must be empty after it. */
    private void assertFailsLeavingOutputDirEmpty(TrainerKind kind, String expected, String... sets) throws IOException {
        Path out = dir.resolve("run");
        Files.createDirectories(out);
        CliRun r = run(kind, sets);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        try (Stream<Path> left = Files.list(out)) {
            assertEquals(List.of(), left.toList(), kind + ": output_dir was written to");
        }
    }

    @Test
    void missingTrainFile() throws IOException {
        assertFailsLeavingOutputDirEmpty(TrainerKind.SFT, "missing.jsonl", "train_file=" + dir.resolve("missing.jsonl"));
        assertFailsLeavingOutputDirEmpty(TrainerKind.RM, "missing.jsonl", "train_file=" + dir.resolve("missing.jsonl"));
    }

    @Test
    void malformedJsonl() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"1+1=\", \"chosen\": \"2\", \"rejected\": \"3\"}\n"
                + "{\"prompt\": \"2+2=\", \"chosen\": \n");
        assertFailsLeavingOutputDirEmpty(TrainerKind.DPO, "bad.jsonl:2", "train_file=" + bad);
    }

    @Test
    void unknownRewardClass() throws IOException {
        assertFailsLeavingOutputDirEmpty(TrainerKind.GRPO, "com.example.NoSuchReward",
                "rewards=[{class: com.example.NoSuchReward}]");
    }

    @Test
    void truncatedModel() throws IOException {
        TrainerKind.SFT.config(dir, false); // writes the model
        Path weights = dir.resolve("model/model.safetensors");
        byte[] all = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(all, all.length / 2));
        assertFailsLeavingOutputDirEmpty(TrainerKind.SFT, "model.safetensors");
    }

    @Test
    void anOutputDirThatIsAFileIsNamedAsSuch() throws IOException {
        Path file = Files.writeString(dir.resolve("run"), "not a directory");
        CliRun r = run(TrainerKind.SFT);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("output_dir " + file + ": is a file, not a directory"), r.err());
        assertEquals("not a directory", Files.readString(file));
        CliRun below = run(TrainerKind.SFT, "output_dir=" + file.resolve("sub"));
        assertTrue(below.err().contains(file + " is a file, not a directory"), below.err());
        assertFalse(below.err().contains("Not a directory"), below.err());
    }
}
