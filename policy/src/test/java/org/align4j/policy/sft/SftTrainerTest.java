package org.align4j.policy.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.StopRequest;
import org.align4j.policy.train.TrainingDivergedException;
import org.align4j.policy.train.TrainingInterruptedException;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftTrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A toy corpus: each row counts up by a row-specific stride (mod 32), so the next token is learnable. */
    static Path corpus(Path dir, int rows, long seed) throws IOException {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            int start = r.nextInt(32);
            int stride = 1 + r.nextInt(3);
            List<Integer> prompt = new ArrayList<>();
            List<Integer> completion = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                (t < 4 ? prompt : completion).add((start + t * stride) % 32);
            }
            sb.append(JSON.writeValueAsString(java.util.Map.of("prompt_ids", prompt, "completion_ids", completion)))
                    .append('\n');
        }
        Path f = dir.resolve("train.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    static Path initConfig(Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(32, 32, 64, 2, 4, 2, 64, null, new int[0]);
        Path f = dir.resolve("config.json");
        Files.writeString(f, c.toJson().toString());
        return f;
    }

    static SftConfig config(Path dir, Path train, Path init, String out, int maxSteps) {
        SftConfig c = new SftConfig();
        c.initConfig = init.toString();
        c.trainFile = train.toString();
        c.outputDir = dir.resolve(out).toString();
        c.maxSteps = maxSteps;
        c.batchSize = 8;
        c.gradientAccumulationSteps = 2;
        c.learningRate = 3e-3;
        c.lrSchedulerType = "constant";
        c.warmupRatio = 0;
        c.loggingSteps = 1;
        c.saveSteps = 0;
        return c;
    }

    static List<Double> losses(Path runDir) throws IOException {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.has("loss")) {
                out.add(n.get("loss").asDouble());
            }
        }
        return out;
    }

    private static SftTrainer trainer(SftConfig c, boolean resume) {
        return new SftTrainer(c, resume, new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void lossFallsOnAToyCorpus(@TempDir Path dir) throws IOException {
        SftConfig c = config(dir, corpus(dir, 64, 1), initConfig(dir), "run", 40);
        SftTrainer.Result r = trainer(c, false).train();
        List<Double> losses = losses(r.runDir());
        assertEquals(40, losses.size());
        double first = losses.get(0);
        double last = losses.subList(35, 40).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(first > Math.log(32) * 0.9, "starts near uniform: " + first);
        assertTrue(last < first * 0.6, "loss fell from " + first + " to " + last);
        assertTrue(Files.isRegularFile(r.finalModel().resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(r.runDir().resolve("metrics.png")));
    }

    @Test
    void resumeContinuesExactly(@TempDir Path dir) throws IOException {
        Path train = corpus(dir, 40, 2);
        Path init = initConfig(dir);
        trainer(config(dir, train, init, "straight", 6), false).train();
        SftConfig interrupted = config(dir, train, init, "resumed", 3);
        interrupted.saveSteps = 2;
        trainer(interrupted, false).train();
        SftConfig more = config(dir, train, init, "resumed", 6);
        trainer(more, true).train();
        List<Double> a = losses(dir.resolve("straight"));
        List<Double> b = losses(dir.resolve("resumed"));
        assertEquals(6, b.size(), "metrics after the checkpoint were replaced, not duplicated");
        for (int i = 0; i < 6; i++) {
            assertEquals(a.get(i), b.get(i), 1e-12, "loss at step " + (i + 1));
        }
    }

    @Test
    void badRowsAndKeysAreNamed(@TempDir Path dir) throws IOException {
        Path train = dir.resolve("bad.jsonl");
        Files.writeString(train, "{\"prompt_ids\": [1, 2], \"completion_ids\": [3]}\n{\"prompt_ids\": [1, \"x\"]}\n");
        BadInputException e = assertThrows(BadInputException.class,
                () -> trainer(config(dir, train, initConfig(dir), "bad", 2), false).train());
        assertTrue(e.getMessage().contains("bad.jsonl:2"), e.getMessage());
        Path yaml = dir.resolve("sft.yaml");
        Files.writeString(yaml, "train_file: x.jsonl\nlerning_rate: 0.1\n");
        e = assertThrows(BadInputException.class, () -> ConfigLoader.load(yaml, SftConfig.class));
        assertTrue(e.getMessage().contains("lerning_rate"), e.getMessage());
    }

    @Test
    void aDivergedRunStopsWithoutAFinalModelAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        SftConfig c = config(dir, corpus(dir, 40, 3), initConfig(dir), "run", 30);
        c.learningRate = 1e4;
        c.maxSkippedSteps = 1;
        c.maxLossSpike = 0; // the non-finite path (the spike guard is DivergenceGuardTest's)
        c.saveSteps = 0;
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer(c, false).train());
        assertTrue(e.getMessage().startsWith("sft diverged at step " + e.step() + ": non-finite"), e.getMessage());
        Path run = dir.resolve("run");
        assertFalse(Files.exists(run.resolve("final")), "no final model from a diverged run");
        List<RunDirectory.Checkpoint> kept = RunDirectory.checkpoints(run);
        assertEquals(1, kept.size(), "the last good step, written from memory (save_steps 0)");
        assertTrue(kept.get(0).step() < e.step());
        CausalLM good = HfCheckpoint.load(kept.get(0).dir().resolve(RunDirectory.MODEL_DIR));
        good.weights().forEach((name, w) -> assertTrue(Double.isFinite(w.norm2Number().doubleValue()), name));
        ObjectMapper strict = new ObjectMapper();
        List<String> lines = Files.readAllLines(run.resolve(RunDirectory.METRICS));
        for (String line : lines) {
            JsonNode row = strict.readTree(line);
            row.fields().forEachRemaining(f -> assertFalse(f.getValue().isTextual()
                    && f.getValue().asText().matches("-?Infinity|NaN"), line));
        }
        JsonNode last = strict.readTree(lines.get(lines.size() - 1));
        assertEquals(e.step(), last.get("step").asLong());
        assertTrue(last.get("diverged").asText().startsWith("non-finite"), last.toString());
        assertTrue(e.getMessage().endsWith("last good checkpoint " + kept.get(0).dir() + " (step " + kept.get(0).step()
                + ")"), e.getMessage());
    }

    @Test
    void aStopRequestSavesTheCompletedStepsAndTheRunResumesExactly(@TempDir Path dir) throws Exception {
        Path train = corpus(dir, 40, 4);
        Path init = initConfig(dir);
        trainer(config(dir, train, init, "straight", 8), false).train();
        SftConfig c = config(dir, train, init, "stopped", 8);
        c.saveSteps = 5;
        Path metrics = dir.resolve("stopped").resolve(RunDirectory.METRICS);
        Thread signal = new Thread(() -> {
            try {
                while (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 2) {
                    Thread.sleep(1);
                }
            } catch (IOException | InterruptedException e) {
                return;
            }
            StopRequest.request("SIGINT", 130);
        });
        signal.start();
        TrainingInterruptedException e;
        try {
            e = assertThrows(TrainingInterruptedException.class, () -> trainer(c, false).train());
        } finally {
            signal.join();
            StopRequest.clear();
        }
        assertEquals(130, e.exitCode());
        assertTrue(e.step() >= 2 && e.step() < 8, "stopped after step " + e.step());
        assertEquals(e.step(), RunDirectory.latestCheckpoint(dir.resolve("stopped")).orElseThrow().step(),
                "every completed step is in the checkpoint");
        assertEquals(dir.resolve("stopped").resolve(RunDirectory.CHECKPOINTS)
                .resolve(String.format("step-%06d", e.step())), e.checkpoint());
        assertFalse(Files.exists(dir.resolve("stopped/final")));
        assertTrue(StopRequest.pending().isEmpty(), "the request was acted on");
        trainer(c, true).train();
        List<Double> a = losses(dir.resolve("straight"));
        List<Double> b = losses(dir.resolve("stopped"));
        assertEquals(8, b.size(), "each step logged once");
        for (int i = 0; i < 8; i++) {
            assertEquals(a.get(i), b.get(i), 1e-12, "loss at step " + (i + 1));
        }
    }
}
