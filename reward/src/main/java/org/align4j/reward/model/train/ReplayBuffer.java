package org.align4j.reward.model.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.train.Rng;
import org.align4j.policy.util.BadInputException;

/**
 * Historical reward-model training rows, kept for replay when the model is retrained on new samples
 * (DeepSeekMath's iterative RL keeps 10% historical data). A directory:
 * <pre>
 * replay.jsonl   the rows, as given (prompt/chosen/rejected, prompt/completion/label, or step_labels rows)
 * state.json     {"capacity": C, "seen": N, "seed": S, "sources": [...]}
 * </pre>
 * The buffer holds at most capacity rows: once full, it is a uniform sample of every row ever offered
 * (reservoir sampling, Vitter's Algorithm R), so old iterations fade out but never vanish all at once.
 * An update rewrites both files into a temporary sibling directory that is renamed over the old one, so a
 * crash leaves the previous buffer or the new one. {@link #add} is idempotent per source (a run directory),
 * so a resumed run that had already appended its rows does not append them twice.
 */
public final class ReplayBuffer {
    public static final String ROWS = "replay.jsonl";
    public static final String STATE = "state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int capacity;
    private final long seed;
    private long seen;
    private final List<Map<String, Object>> rows;
    private final Set<String> sources;

    private ReplayBuffer(Path dir, int capacity, long seed, long seen, List<Map<String, Object>> rows,
                         Set<String> sources) {
        this.dir = dir;
        this.capacity = capacity;
        this.seed = seed;
        this.seen = seen;
        this.rows = rows;
        this.sources = sources;
    }

    /**
     * Opens the buffer in dir, or an empty one when dir holds none (nothing is written until {@link #add}).
     * An existing buffer keeps its own capacity and seed.
     */
    public static ReplayBuffer open(Path dir, int capacity, long seed) {
        if (capacity < 1) {
            throw new BadInputException("replay capacity must be at least 1, got " + capacity);
        }
        Path state = dir.resolve(STATE);
        if (!Files.isRegularFile(state)) {
            return new ReplayBuffer(dir, capacity, seed, 0, new ArrayList<>(), new LinkedHashSet<>());
        }
        Map<?, ?> s;
        try {
            s = JSON.readValue(Files.readString(state), Map.class);
        } catch (IOException e) {
            throw new BadInputException(state + ": not a replay buffer state: " + e.getMessage());
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(dir.resolve(ROWS))) {
            r.forEachRemaining(rows::add);
        }
        Set<String> sources = new LinkedHashSet<>();
        if (s.get("sources") instanceof List<?> l) {
            l.forEach(x -> sources.add(String.valueOf(x)));
        }
        return new ReplayBuffer(dir, number(s, "capacity", state).intValue(), number(s, "seed", state).longValue(),
                number(s, "seen", state).longValue(), rows, sources);
    }

    private static Number number(Map<?, ?> s, String key, Path file) {
        if (!(s.get(key) instanceof Number n)) {
            throw new BadInputException(file + ": missing or bad '" + key + "'");
        }
        return n;
    }

    public Path dir() {
        return dir;
    }

    public int capacity() {
        return capacity;
    }

    /** Rows offered over the buffer's life (at least size()). */
    public long seen() {
        return seen;
    }

    public int size() {
        return rows.size();
    }

    public List<Map<String, Object>> rows() {
        return Collections.unmodifiableList(rows);
    }

    public boolean hasSource(String source) {
        return sources.contains(source);
    }

    /**
     * Offers rows to the buffer (reservoir sampling once full) and writes it; does nothing when source was
     * already added. The random choices depend only on the seed and the rows seen before, so re-running an
     * add from the same state gives the same buffer.
     */
    public void add(List<Map<String, Object>> newRows, String source) {
        if (sources.contains(source)) {
            return;
        }
        Rng rng = new Rng(seed * 1_000_003L + seen);
        for (Map<String, Object> row : newRows) {
            if (rows.size() < capacity) {
                rows.add(row);
            } else {
                long j = (long) (rng.nextDouble() * (seen + 1));
                if (j < capacity) {
                    rows.set((int) j, row);
                }
            }
            seen++;
        }
        sources.add(source);
        write();
    }

    private void write() {
        Path target = dir.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".replay.tmp");
        AtomicFiles.deleteRecursively(tmp);
        StringBuilder sb = new StringBuilder();
        try {
            for (Map<String, Object> row : rows) {
                sb.append(JSON.writeValueAsString(row)).append('\n');
            }
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write replay buffer " + dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeBytes(tmp.resolve(ROWS), sb.toString().getBytes(StandardCharsets.UTF_8));
        ObjectNode state = JSON.createObjectNode();
        state.put("capacity", capacity);
        state.put("seen", seen);
        state.put("seed", seed);
        sources.forEach(state.putArray("sources")::add);
        AtomicFiles.writeJson(tmp.resolve(STATE), state);
        AtomicFiles.replaceDirectory(tmp, target);
    }
}
