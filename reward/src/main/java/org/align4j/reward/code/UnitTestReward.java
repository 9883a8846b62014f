package org.align4j.reward.code;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.SandboxLimits;

/**
 * Runs each completion's code against its row's unit tests in the sandbox and rewards the fraction
 * of tests passed (or 1/0 for all-or-nothing). Abstains on rows without tests. A batch runs in
 * parallel through a pool of {@code reward_workers} sandboxes (default: the number of cores), each
 * run with its own time limit, so a batch takes as long as its slowest run, not the sum; with
 * {@code reward_executor: spark} (GRPO's key of the same name, under --ranks) the batch runs as Spark
 * tasks on the cluster's executors instead ({@link CodeTestExecutor}).
 *
 * <p>Config ({@code python_tests}, {@code java_tests}, {@code cpp_tests} or {@code javascript_tests}):
 * <pre>{type: python_tests, mode: fraction|all, tests_key: tests, timeout_seconds: 10, memory_mb: 512,
 *  max_processes: 32, max_output_kb: 1024, reward_workers: 2, reward_executor: local|spark,
 *  sandbox: auto|bwrap|unshare|none, interpreter: python3, completions_per_sandbox: 1}</pre>
 * Without {@code tests_key} the tests are read from {@code tests}, else from MBPP's {@code test_list}.
 * Java's {@code interpreter} is a JDK home (default: the running JVM's); C++'s the compiler
 * ({@code g++}); JavaScript's Node.js ({@code node}).
 *
 * <p>{@code completions_per_sandbox} above 1 (Python) scores that many completions in one sandbox and one
 * interpreter start ({@link CodeTestRunner#runBatch}): far faster, since starting the sandbox and the
 * interpreter costs much more than running a short function's tests; each completion still gets its own
 * forked process, limits and directory, but the completions of one sandbox are less isolated from each other.
 */
public final class UnitTestReward implements OutcomeReward {

    public static final String PYTHON_TYPE = "python_tests";
    public static final String JAVA_TYPE = "java_tests";
    public static final String CPP_TYPE = "cpp_tests";
    public static final String JAVASCRIPT_TYPE = "javascript_tests";

    private final String name;
    private final RewardMode mode;
    private final String testsKey;
    private final CodeTestSpec spec;
    private final CodeTestRunner runner;
    private final CodeTestExecutor executor;
    /** completions_per_sandbox > 1: batches of completions share a sandbox, on this pool (local only). */
    private final ExecutorService pool;
    private final int perSandbox;
    private final int workers;

    public UnitTestReward(Language language, Map<String, Object> params) {
        this.name = typeOf(language);
        RewardParams p = new RewardParams(name, params).allowOnly("mode", "tests_key", "timeout_seconds", "memory_mb",
                "max_processes", "max_output_kb", "reward_workers", "reward_executor", "sandbox", "interpreter",
                "completions_per_sandbox");
        this.mode = p.choice("mode", RewardMode.FRACTION);
        this.testsKey = p.string("tests_key", null);
        SandboxLimits limits = CodeTestRunner.defaultLimits(language);
        if (p.has("timeout_seconds")) {
            limits = limits.withTimeout(Duration.ofMillis(Math.round(1000 * positive(p, name, "timeout_seconds"))));
        }
        if (p.has("memory_mb")) {
            limits = limits.withMemoryBytes(p.integer("memory_mb", 0, 16, 1 << 20) * 1024L * 1024L);
        }
        if (p.has("max_processes")) {
            limits = limits.withMaxProcesses(p.integer("max_processes", 0, 1, 100_000));
        }
        if (p.has("max_output_kb")) {
            limits = limits.withMaxOutputBytes(p.integer("max_output_kb", 0, 1, 1 << 20) * 1024L);
        }
        this.perSandbox = p.integer("completions_per_sandbox", 1, 1, 4096);
        int workers = p.integer("reward_workers", Runtime.getRuntime().availableProcessors(), 1, 256);
        IsolationMode isolation = p.choice("sandbox", IsolationMode.AUTO);
        this.spec = new CodeTestSpec(language, isolation, limits, p.string("interpreter", null));
        this.runner = spec.runner();
        this.executor = CodeTestExecutor.create(p.string("reward_executor", CodeTestExecutor.LOCAL), name, workers);
        if (perSandbox > 1 && !CodeTestExecutor.LOCAL.equals(executor.name())) {
            executor.close();
            throw new IllegalArgumentException(name + ": completions_per_sandbox > 1 runs on the local pool only; "
                    + "with reward_executor: " + executor.name() + " leave it at 1");
        }
        AtomicInteger threads = new AtomicInteger();
        this.workers = workers;
        this.pool = perSandbox <= 1 ? null : Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, name + "-batch-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The config type of a language's unit-test reward, e.g. {@code python_tests}. */
    public static String typeOf(Language language) {
        return switch (language) {
            case PYTHON -> PYTHON_TYPE;
            case JAVA -> JAVA_TYPE;
            case CPP -> CPP_TYPE;
            case JAVASCRIPT -> JAVASCRIPT_TYPE;
        };
    }

    /** Whether a config type is a unit-test reward's ({@code python_tests}, ...). */
    public static boolean isType(Object type) {
        return PYTHON_TYPE.equals(type) || JAVA_TYPE.equals(type) || CPP_TYPE.equals(type) || JAVASCRIPT_TYPE.equals(type);
    }

    private static double positive(RewardParams p, String owner, String key) {
        double v = p.number(key, 0);
        if (!(v > 0)) {
            throw new IllegalArgumentException(owner + ": key '" + key + "' must be a positive number, got " + v);
        }
        return v;
    }

    @Override
    public String name() {
        return name;
    }

    public CodeTestRunner runner() {
        return runner;
    }

    /** Where the sandboxes run ({@code local}, {@code spark}). */
    public String executor() {
        return executor.name();
    }

    @Override
    public List<Double> score(List<RewardInput> batch) {
        if (perSandbox > 1) {
            return scoreInBatches(batch);
        }
        List<CodeTestJob> jobs = new ArrayList<>(batch.size());
        List<Integer> rows = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            List<String> tests = tests(batch.get(i).row());
            if (tests != null && !tests.isEmpty()) {
                jobs.add(new CodeTestJob(batch.get(i).completion(), tests));
                rows.add(i);
            }
        }
        List<CodeTestReport> reports = jobs.isEmpty() ? List.of() : executor.run(spec, runner, jobs);
        List<Double> out = new ArrayList<>(Collections.nCopies(batch.size(), (Double) null));
        for (int k = 0; k < rows.size(); k++) {
            out.set(rows.get(k), reports.get(k).reward(mode));
        }
        return out;
    }

    /**
     * Completions with tests, split evenly over the workers in chunks of at most completions_per_sandbox,
     * one sandbox per chunk.
     */
    private List<Double> scoreInBatches(List<RewardInput> batch) {
        List<Integer> scored = new ArrayList<>();
        List<String> completions = new ArrayList<>();
        List<List<String>> testLists = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            List<String> tests = tests(batch.get(i).row());
            if (tests != null && !tests.isEmpty()) {
                scored.add(i);
                completions.add(batch.get(i).completion());
                testLists.add(tests);
            }
        }
        int n = completions.size();
        int chunks = Math.max(Math.min(workers, n), (n + perSandbox - 1) / Math.max(1, perSandbox));
        List<Future<List<CodeTestReport>>> futures = new ArrayList<>(chunks);
        for (int c = 0; c < chunks && n > 0; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            List<String> part = completions.subList(from, to);
            List<List<String>> partTests = testLists.subList(from, to);
            futures.add(pool.submit(() -> runner.runBatch(part, partTests)));
        }
        List<Double> out = new ArrayList<>(java.util.Collections.nCopies(batch.size(), (Double) null));
        int next = 0;
        for (Future<List<CodeTestReport>> f : futures) {
            for (CodeTestReport r : LocalCodeTestExecutor.await(f)) {
                out.set(scored.get(next++), r.reward(mode));
            }
        }
        return out;
    }

    /** The row's tests: a list of strings, or one string holding a single test; null when absent. */
    private List<String> tests(Map<String, Object> row) {
        String key = testsKey != null ? testsKey : row.containsKey("tests") ? "tests" : "test_list";
        Object value = row.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof List<?> list && list.stream().allMatch(t -> t instanceof String)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw new IllegalArgumentException(name + ": row key '" + key + "' must be a list of strings, got "
                + value.getClass().getSimpleName());
    }

    @Override
    public void close() {
        executor.close();
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
