package org.align4j.policy.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.util.FiniteJson;
import org.align4j.policy.util.JsonErrors;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A training run's output directory:
 * <pre>
 * config.yaml                      the resolved config
 * metrics.jsonl                    one JSON object per logged step: {"step": 10, "loss": ..., ...}
 * checkpoints/step-000100/         a complete checkpoint: what the trainer's Checkpointable wrote, plus
 *             trainer_state.json   (written last) step, RNG state, data position, trainer fields
 * checkpoints/step-000200.tmp/     a save in progress or interrupted by a crash: never read
 * </pre>
 * A checkpoint is built in a {@code .tmp} directory and renamed into place only when complete, and older ones
 * are deleted only after a newer one is complete, so a crash (or a NaN the trainer refuses to save) always
 * leaves the last good checkpoint to resume from.
 */
public final class RunDirectory implements Closeable {

    public static final String CONFIG = "config.yaml";
    public static final String METRICS = "metrics.jsonl";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String TRAINER_STATE = "trainer_state.json";
    /** Where a trainer's Checkpointable conventionally writes the model (config.json, model.safetensors). */
    public static final String MODEL_DIR = "model";

    private static final Pattern CHECKPOINT_NAME = Pattern.compile("step-(\\d+)");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    /** A complete checkpoint. */
    public record Checkpoint(long step, Path dir) {
        /** Reads this checkpoint's trainer_state.json. */
        public TrainerState state() {
            Path f = dir.resolve(TRAINER_STATE);
            try {
                return JSON.readValue(f.toFile(), TrainerState.class);
            } catch (JsonProcessingException e) {
                throw new BadInputException(f + ": " + JsonErrors.oneLine(e.getOriginalMessage()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
            }
        }
    }

    private final Path dir;
    private final Checkpoint resumedFrom;
    private BufferedWriter metrics;

    private RunDirectory(Path dir, Checkpoint resumedFrom) {
        this.dir = dir;
        this.resumedFrom = resumedFrom;
    }

    /** {@link #resume} the run in dir, or {@link #create} a new one there: what a trainer's --resume chooses. */
    public static RunDirectory open(Path dir, boolean resume) {
        return resume ? resume(dir) : create(dir);
    }

    /** Starts a new run in dir (created if missing); refuses a directory that already holds a run. */
    public static RunDirectory create(Path dir) {
        startingPoint(dir, false);
        createDirectories(dir.resolve(CHECKPOINTS));
        return new RunDirectory(dir, null);
    }

    /**
     * Continues the run in dir from its latest complete checkpoint, cutting metrics.jsonl back to the lines of
     * steps up to that checkpoint's (those after it will be logged again).
     */
    public static RunDirectory resume(Path dir) {
        Checkpoint latest = startingPoint(dir, true).orElseThrow();
        RunDirectory run = new RunDirectory(dir, latest);
        run.truncateMetricsAfter(latest.step());
        return run;
    }

    /**
     * Checks, writing nothing, that {@link #open} can start (resume false) or resume (true) a run in dir, and
     * returns the checkpoint a resume starts from. Refused with a {@link BadInputException}: a dir (or a folder
     * above it) that is a file; a new run in a dir that holds one; a resume without a complete checkpoint.
     */
    public static Optional<Checkpoint> startingPoint(Path dir, boolean resume) {
        for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new BadInputException("output_dir " + dir + ": " + (p.equals(dir.toAbsolutePath().normalize())
                        ? "is a file, not a directory" : p + " is a file, not a directory"));
            }
        }
        if (resume) {
            return Optional.of(latestCheckpoint(dir).orElseThrow(() ->
                    new BadInputException(dir + ": no complete checkpoint to resume from")));
        }
        if (Files.exists(dir.resolve(METRICS)) || !checkpoints(dir).isEmpty()) {
            throw new BadInputException(dir + ": already holds a run (" + METRICS + " or " + CHECKPOINTS
                    + "/); resume it with --resume or choose another output_dir");
        }
        return Optional.empty();
    }

    /** The complete checkpoints of the run in dir, oldest first. */
    public static List<Checkpoint> checkpoints(Path dir) {
        Path root = dir.resolve(CHECKPOINTS);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Checkpoint> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(root)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = CHECKPOINT_NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p.resolve(TRAINER_STATE))) {
                    out.add(new Checkpoint(Long.parseLong(m.group(1)), p));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparingLong(Checkpoint::step));
        return out;
    }

    public static Optional<Checkpoint> latestCheckpoint(Path dir) {
        List<Checkpoint> all = checkpoints(dir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    public Path dir() {
        return dir;
    }

    /** The checkpoint this run resumed from, if it was resumed. */
    public Optional<Checkpoint> resumedFrom() {
        return Optional.ofNullable(resumedFrom);
    }

    /** Writes the resolved config (see {@link ConfigLoader#dump}). */
    public void writeConfig(String yaml) {
        AtomicFiles.writeString(dir.resolve(CONFIG), yaml);
    }

    /**
     * Appends one line {"step": step, ...values} to metrics.jsonl and flushes it, so a crash loses at most the
     * line being written. Non-finite numbers are written as null, named under "non_finite" (see
     * {@link FiniteJson}).
     */
    public void logMetrics(long step, Map<String, ?> values) {
        ObjectNode row = JSON.createObjectNode();
        row.put("step", step);
        values.forEach((k, v) -> {
            if (!k.equals("step")) {
                row.set(k, JSON.valueToTree(v));
            }
        });
        FiniteJson.sanitize(row);
        try {
            if (metrics == null) {
                metrics = Files.newBufferedWriter(dir.resolve(METRICS), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            metrics.write(JSON.writeValueAsString(row));
            metrics.write('\n');
            metrics.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + dir.resolve(METRICS) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Saves a checkpoint for state.step(): content writes into checkpoints/step-NNNNNN.tmp, then
     * trainer_state.json is added and the directory renamed to checkpoints/step-NNNNNN (replacing one of the
     * same step). Then all but the newest keepLast complete checkpoints are deleted (keepLast <= 0 keeps all).
     * If content throws, the .tmp directory stays behind, is never read, and is removed by the next save.
     */
    public Checkpoint saveCheckpoint(TrainerState state, Checkpointable content, int keepLast) {
        startCheckpoint(state.step());
        return finishCheckpoint(state, content, keepLast);
    }

    /**
     * The first half of {@link #saveCheckpoint}, for a checkpoint that several ranks write into: removes interrupted
     * saves and creates the empty folder {@link #checkpointInProgress} of step, which the ranks then write into.
     */
    public Path startCheckpoint(long step) {
        Path root = dir.resolve(CHECKPOINTS);
        createDirectories(root);
        removeStaleTemporaries(root);
        Path tmp = checkpointInProgress(dir, step);
        createDirectories(tmp);
        return tmp;
    }

    /**
     * The second half of {@link #saveCheckpoint}, once everything else is in the folder of {@link #startCheckpoint}:
     * content writes the rest, then trainer_state.json, the rename into place and the pruning.
     */
    public Checkpoint finishCheckpoint(TrainerState state, Checkpointable content, int keepLast) {
        Path tmp = checkpointInProgress(dir, state.step());
        Path target = checkpointDir(dir, state.step());
        try {
            content.save(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + tmp + ": " + e.getMessage(), e);
        }
        try {
            AtomicFiles.writeString(tmp.resolve(TRAINER_STATE),
                    JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(state) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("trainer state is not serializable: " + e.getOriginalMessage(), e);
        }
        AtomicFiles.replaceDirectory(tmp, target);
        prune(keepLast);
        return new Checkpoint(state.step(), target);
    }

    /** The folder a checkpoint of step is built in until it is complete (never read as a checkpoint). */
    public static Path checkpointInProgress(Path dir, long step) {
        return dir.resolve(CHECKPOINTS).resolve(checkpointName(step) + ".tmp");
    }

    /** The folder of the complete checkpoint of step. */
    public static Path checkpointDir(Path dir, long step) {
        return dir.resolve(CHECKPOINTS).resolve(checkpointName(step));
    }

    private static String checkpointName(long step) {
        return String.format("step-%06d", step);
    }

    /** Deletes all but the newest keepLast complete checkpoints (keepLast <= 0 keeps all). */
    public void prune(int keepLast) {
        if (keepLast > 0) {
            List<Checkpoint> all = checkpoints(dir);
            for (int i = 0; i < all.size() - keepLast; i++) {
                AtomicFiles.deleteRecursively(all.get(i).dir());
            }
        }
    }

    /** Rewrites metrics.jsonl keeping lines with step <= step (and lines without one); drops torn lines. */
    void truncateMetricsAfter(long step) {
        Path file = dir.resolve(METRICS);
        if (!Files.exists(file)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row;
                try {
                    row = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    continue; // the last line of a run killed mid-write
                }
                JsonNode s = row.get("step");
                if (s == null || !s.canConvertToLong() || s.asLong() <= step) {
                    kept.append(line).append('\n');
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeString(file, kept.toString());
    }

    @Override
    public void close() {
        if (metrics != null) {
            try {
                metrics.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + dir.resolve(METRICS) + ": " + e.getMessage(), e);
            }
            metrics = null;
        }
    }

    private static void removeStaleTemporaries(Path root) {
        try (Stream<Path> entries = Files.list(root)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                if (p.getFileName().toString().endsWith(".tmp")) {
                    AtomicFiles.deleteRecursively(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static void createDirectories(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + p + ": " + e.getMessage(), e);
        }
    }
}
