package org.align4j.reward.code;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
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
 *  max_processes: 32, max_output_kb: 1024, reward_workers: 2, reward_executor: local|spark, sandbox: auto|bwrap|unshare|none,
 *  interpreter: python3}</pre>
 * Without {@code tests_key} the tests are read from {@code tests}, else from MBPP's {@code test_list}.
 * Java's {@code interpreter} is a JDK home (default: the running JVM's); C++'s the compiler
 * ({@code g++}); JavaScript's Node.js ({@code node}).
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

    public UnitTestReward(Language language, Map<String, Object> params) {
        this.name = typeOf(language);
        RewardParams p = new RewardParams(name, params).allowOnly("mode", "tests_key", "timeout_seconds", "memory_mb",
                "max_processes", "max_output_kb", "reward_workers", "reward_executor", "sandbox", "interpreter");
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
        int workers = p.integer("reward_workers", Runtime.getRuntime().availableProcessors(), 1, 256);
        IsolationMode isolation = p.choice("sandbox", IsolationMode.AUTO);
        this.spec = new CodeTestSpec(language, isolation, limits, p.string("interpreter", null));
        this.runner = spec.runner();
        this.executor = CodeTestExecutor.create(p.string("reward_executor", CodeTestExecutor.LOCAL), name, workers);
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
    }
}
