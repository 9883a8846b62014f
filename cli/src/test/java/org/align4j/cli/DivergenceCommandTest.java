package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.RunDirectory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A run that blows up exits 3 with one line naming the step and the quantity, and writes no final model. */
class DivergenceCommandTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = TrainerKind.class, names = {"SFT", "DPO"}) // GRPO: GrpoTrainerTest (a reward that varies)
    void aBlownUpRunExitsThreeWithOneLine(TrainerKind kind) throws Exception {
        Path cfg = kind.config(dir, false, "max_steps: 20", "logging_steps: 1", "save_steps: 0",
                "learning_rate: 1.0e30", "max_skipped_steps: 0");
        List<String> args = new ArrayList<>(kind.command());
        args.addAll(List.of("--config", cfg.toString()));
        CliRun r = CliRun.of(args.toArray(new String[0]));
        assertEquals(3, r.exit(), r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.matches("align4j " + kind.command().get(0) + ": error: " + kind.command().get(0)
                + " diverged at step \\d+: (non-finite|loss|kl) .*"), err);
        Path run = dir.resolve("run");
        assertFalse(Files.exists(run.resolve("final")));
        RunDirectory.Checkpoint kept = RunDirectory.latestCheckpoint(run).orElseThrow();
        assertTrue(err.endsWith("last good checkpoint " + kept.dir() + " (step " + kept.step() + ")"), err);
        ObjectMapper strict = new ObjectMapper();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS))) {
            assertFalse(line.contains("NaN\"") && !line.contains("\"non_finite\""), line);
            strict.readTree(line);
        }
    }
}
