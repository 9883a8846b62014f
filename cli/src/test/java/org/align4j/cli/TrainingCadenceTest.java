package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.RunDirectory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * logging_steps, eval_steps, save_steps and save_total_limit mean the same in every trainer: each key is checked
 * on all four through the CLI, with tiny models and a few steps.
 */
class TrainingCadenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path train(TrainerKind kind, boolean withEval, String... lines) throws IOException {
        Path cfg = kind.config(dir, withEval, lines);
        List<String> args = new ArrayList<>(kind.command());
        args.add("--config");
        args.add(cfg.toString());
        CliRun r = CliRun.of(args.toArray(new String[0]));
        assertEquals(0, r.exit(), kind + ": " + r.err());
        JSON.readTree(r.out()); // the summary is JSON
        return dir.resolve("run");
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS))) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<Long> stepsWith(List<JsonNode> rows, String key) {
        return rows.stream().filter(r -> r.has(key)).map(r -> r.get("step").asLong()).toList();
    }

    private static List<Long> checkpointSteps(Path run) {
        return RunDirectory.checkpoints(run).stream().map(RunDirectory.Checkpoint::step).toList();
    }

    @ParameterizedTest
    @EnumSource(TrainerKind.class)
    void loggingStepsLogsEveryNStepsAndTheLast(TrainerKind kind) throws IOException {
        Path run = train(kind, false, "max_steps: 5", "logging_steps: 2", "save_steps: 0");
        List<JsonNode> rows = metrics(run);
        assertEquals(List.of(2L, 4L, 5L), rows.stream().map(r -> r.get("step").asLong()).toList());
        for (JsonNode r : rows) {
            for (String key : List.of("loss", "learning_rate", "grad_norm")) {
                assertTrue(r.has(key), kind + ": " + key + " in " + r);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TrainerKind.class)
    void evalStepsEvaluatesEveryNStepsAndAfterTheLast(TrainerKind kind) throws IOException {
        Path run = train(kind, true, "max_steps: 5", "logging_steps: 100", "eval_steps: 2", "save_steps: 0");
        assertEquals(List.of(2L, 4L, 5L), stepsWith(metrics(run), kind.evalKey), kind.toString());
    }

    @ParameterizedTest
    @EnumSource(TrainerKind.class)
    void evalStepsZeroEvaluatesOnlyAfterTheLastStep(TrainerKind kind) throws IOException {
        Path run = train(kind, true, "max_steps: 3", "logging_steps: 1", "eval_steps: 0", "save_steps: 0");
        assertEquals(List.of(3L), stepsWith(metrics(run), kind.evalKey), kind.toString());
    }

    @ParameterizedTest
    @EnumSource(TrainerKind.class)
    void saveStepsCheckpointsEveryNStepsButTheLast(TrainerKind kind) throws IOException {
        Path run = train(kind, false, "max_steps: 5", "logging_steps: 1", "save_steps: 2", "save_total_limit: 0");
        assertEquals(List.of(2L, 4L), checkpointSteps(run), kind.toString());
        assertTrue(Files.isRegularFile(run.resolve("final/config.json")), kind.toString());
        if (kind != TrainerKind.RM) { // a reward model scores, it does not generate
            JsonNode g = JSON.readTree(run.resolve("final/generation_config.json").toFile());
            assertEquals(List.of(1, 2, 0), List.of(g.get("bos_token_id").asInt(), g.get("eos_token_id").asInt(),
                    g.get("pad_token_id").asInt()), kind + ": " + g);
        }
        Path ck = RunDirectory.latestCheckpoint(run).orElseThrow().dir();
        assertTrue(Files.isRegularFile(ck.resolve(RunDirectory.TRAINER_STATE)), kind.toString());
        assertTrue(Files.isDirectory(ck.resolve(RunDirectory.MODEL_DIR)), kind.toString());
    }

    @ParameterizedTest
    @EnumSource(TrainerKind.class)
    void saveTotalLimitKeepsTheNewest(TrainerKind kind) throws IOException {
        Path run = train(kind, false, "max_steps: 6", "logging_steps: 1", "save_steps: 1", "save_total_limit: 2");
        assertEquals(List.of(4L, 5L), checkpointSteps(run), kind.toString());
    }
}
