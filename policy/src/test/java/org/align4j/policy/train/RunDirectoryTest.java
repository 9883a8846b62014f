package org.align4j.policy.train;

import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunDirectoryTest {

    @TempDir
    Path tmp;

    /** What a trainer's checkpoint callback does: the model directory plus its own files. */
    private static Checkpointable modelWithWeights(float value) {
        return dir -> {
            Map<String, INDArray> w = new LinkedHashMap<>();
            w.put("model.norm.weight", Nd4j.valueArrayOf(new long[]{4}, value));
            SafeTensors.write(dir.resolve("model/model.safetensors"), w);
            AtomicFiles.writeString(dir.resolve("model/config.json"), "{\"model_type\": \"llama\"}\n");
        };
    }

    private static List<String> metricLines(Path run) throws IOException {
        return Files.readAllLines(run.resolve(RunDirectory.METRICS));
    }

    @Test
    void savesResumesAndKeepsTheLastCheckpoints() throws Exception {
        Path dir = tmp.resolve("run");
        Rng rng = new Rng(3);
        Rng.State rngAtStep6 = null;
        try (RunDirectory run = RunDirectory.create(dir)) {
            run.writeConfig("learning_rate: 1.0E-5\n");
            for (int step = 1; step <= 7; step++) {
                rng.nextDouble();
                run.logMetrics(step, Map.of("loss", 1.0 / step));
                if (step % 2 == 0) {
                    run.saveCheckpoint(new TrainerState(step, rng.state(), step * 8L, Map.of("kl_coef", 0.05)),
                            modelWithWeights(step), 2);
                    rngAtStep6 = rng.state();
                }
            }
            assertEquals(List.of(4L, 6L), RunDirectory.checkpoints(dir).stream().map(RunDirectory.Checkpoint::step).toList(),
                    "only the last 2 are kept");
            // the process dies while saving step 8: the callback wrote part of the model and never returned
            assertThrows(IllegalStateException.class, () -> run.saveCheckpoint(new TrainerState(8, rng.state(), 64),
                    d -> {
                        Files.createDirectories(d.resolve("model"));
                        Files.writeString(d.resolve("model/model.safetensors"), "partial");
                        throw new IllegalStateException("killed");
                    }, 2));
        }
        assertTrue(Files.isDirectory(dir.resolve("checkpoints/step-000008.tmp")));
        assertTrue(Files.isDirectory(dir.resolve("checkpoints/step-000004")), "older checkpoints survive a failed save");
        assertEquals("learning_rate: 1.0E-5\n", Files.readString(dir.resolve("config.yaml")));
        assertEquals(7, metricLines(dir).size());
        // a step directory without trainer_state.json (copied by hand, say) is not a checkpoint either
        Files.createDirectories(dir.resolve("checkpoints/step-000010/model"));

        double expectedNextDraw = Rng.restore(rngAtStep6).nextDouble();
        try (RunDirectory run = RunDirectory.resume(dir)) {
            RunDirectory.Checkpoint from = run.resumedFrom().orElseThrow();
            assertEquals(6, from.step());
            assertEquals(dir.resolve("checkpoints/step-000006"), from.dir());
            TrainerState state = from.state();
            assertEquals(6, state.step());
            assertEquals(48, state.dataPosition());
            assertEquals(0.05, state.fields().get("kl_coef"));
            assertEquals(rngAtStep6, state.rng());
            assertEquals(expectedNextDraw, Rng.restore(state.rng()).nextDouble(), "the RNG stream continues exactly");
            assertEquals(6.0f, SafeTensors.read(from.dir().resolve("model/model.safetensors")).get("model.norm.weight").getFloat(2));
            List<String> lines = metricLines(dir);
            assertEquals(6, lines.size(), "the line of step 7 (after the checkpoint) is dropped");
            assertEquals("{\"step\":6,\"loss\":0.16666666666666666}", lines.get(5));

            run.logMetrics(7, Map.of("loss", 0.2));
            run.saveCheckpoint(new TrainerState(8, state.rng(), 64), modelWithWeights(8), 1);
            assertFalse(Files.exists(dir.resolve("checkpoints/step-000008.tmp")), "stale temporaries are cleaned");
            assertEquals(List.of(8L), RunDirectory.checkpoints(dir).stream().map(RunDirectory.Checkpoint::step).toList());
        }
        assertEquals("{\"step\":7,\"loss\":0.2}", metricLines(dir).get(6));
    }

    @Test
    void dropsATornLastMetricsLineOnResume() throws Exception {
        Path dir = tmp.resolve("run");
        try (RunDirectory run = RunDirectory.create(dir)) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("loss", 2.0);
            row.put("note", "x");
            run.logMetrics(1, row); // written in map order, after "step"
            run.saveCheckpoint(new TrainerState(1, new Rng(1).state(), 4), d -> { }, 0);
            run.logMetrics(2, Map.of("loss", Double.NaN));
        }
        assertEquals("{\"step\":2,\"loss\":null,\"non_finite\":{\"loss\":\"NaN\"}}", metricLines(dir).get(1));
        Files.writeString(dir.resolve(RunDirectory.METRICS), "{\"step\":1,\"lo", java.nio.file.StandardOpenOption.APPEND);
        RunDirectory.resume(dir).close();
        assertEquals(List.of("{\"step\":1,\"loss\":2.0,\"note\":\"x\"}"), metricLines(dir));
    }

    @Test
    void refusesToMixRuns() throws Exception {
        Path dir = tmp.resolve("run");
        assertEquals(dir + ": no complete checkpoint to resume from",
                assertThrows(BadInputException.class, () -> RunDirectory.resume(dir)).getMessage());
        try (RunDirectory run = RunDirectory.create(dir)) {
            run.logMetrics(1, Map.of());
        }
        BadInputException e = assertThrows(BadInputException.class, () -> RunDirectory.create(dir));
        assertTrue(e.getMessage().startsWith(dir + ": already holds a run"), e.getMessage());
        assertThrows(BadInputException.class, () -> RunDirectory.resume(dir));
    }
}
