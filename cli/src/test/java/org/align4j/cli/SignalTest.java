package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.align4j.policy.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to a training process: a checkpoint of the completed steps, its path, the resume command, exit 143. */
class SignalTest {

    @Test
    void sigtermSavesAndPrintsTheResumeCommand(@TempDir Path dir) throws Exception {
        Path cfg = TrainerKind.SFT.config(dir, false, "max_steps: 1000000", "logging_steps: 1", "save_steps: 0");
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Align4j.class.getName(), "sft", "--config", cfg.toString(), "--set", "learning_rate=0.002")
                .redirectErrorStream(false)
                .redirectError(err.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .start();
        Path metrics = dir.resolve("run").resolve(RunDirectory.METRICS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while ((!Files.exists(metrics) || Files.readAllLines(metrics).size() < 2) && System.nanoTime() < deadline
                && p.isAlive()) {
            Thread.sleep(50);
        }
        assertTrue(p.isAlive(), Files.readString(err));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the process ended");
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(143, p.exitValue(), stderr);
        RunDirectory.Checkpoint ck = RunDirectory.latestCheckpoint(dir.resolve("run")).orElseThrow();
        List<String> logged = Files.readAllLines(metrics);
        assertTrue(logged.get(logged.size() - 1).startsWith("{\"step\":" + ck.step() + ","),
                "the checkpoint holds every logged step: " + ck.step() + " vs " + logged.get(logged.size() - 1));
        assertTrue(stderr.contains("align4j sft: SIGTERM: stopped after step " + ck.step() + "; checkpoint " + ck.dir()),
                stderr);
        assertTrue(stderr.contains("resume with: ./align4j sft --config " + cfg + " --set learning_rate=0.002 --resume"),
                stderr);
        assertFalse(Files.exists(dir.resolve("run/final")));
    }
}
