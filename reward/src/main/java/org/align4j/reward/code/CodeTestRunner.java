package org.align4j.reward.code;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.reward.sandbox.Isolation;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.Sandbox;
import org.align4j.reward.sandbox.SandboxJob;
import org.align4j.reward.sandbox.SandboxLimits;
import org.align4j.reward.sandbox.SandboxResult;

/**
 * Runs a completion's code against unit tests in a {@link Sandbox} and reports each test. Creating
 * one checks that the interpreter runs in the sandbox (and fails with the reason if not); after
 * that, {@link #run} may be called from several threads at once.
 */
public final class CodeTestRunner {

    private static final int LOG_CHARS = 2000;
    private static final long MIB = 1024L * 1024L;

    private final Language language;
    private final TestHarness harness;
    private final Sandbox sandbox;

    private CodeTestRunner(Language language, TestHarness harness, Sandbox sandbox) {
        this.language = language;
        this.harness = harness;
        this.sandbox = sandbox;
    }

    /**
     * @param interpreter for Python the interpreter command ({@code null}: {@code python3}); for
     *                    Java the JDK home ({@code null}: this JVM's {@code java.home}); for C++ the
     *                    compiler ({@code g++}); for JavaScript Node.js ({@code node})
     * @throws IllegalArgumentException when the language's tool is not installed (one line naming it)
     * @param limits      {@code null} for {@link #defaultLimits(Language)}
     */
    public static CodeTestRunner create(Language language, IsolationMode mode, SandboxLimits limits, String interpreter) {
        SandboxLimits l = limits == null ? defaultLimits(language) : limits;
        TestHarness harness = switch (language) {
            case PYTHON -> new PythonHarness(interpreter == null ? "python3" : interpreter);
            case JAVA -> new JavaHarness(Path.of(interpreter == null ? System.getProperty("java.home") : interpreter), l);
            case CPP -> new CppHarness(interpreter == null ? "g++" : interpreter);
            case JAVASCRIPT -> new JavaScriptHarness(interpreter == null ? "node" : interpreter);
        };
        return new CodeTestRunner(language, harness, Sandbox.create(mode, l, harness.probe()));
    }

    /**
     * Python: {@link SandboxLimits#defaults()}. Java and JavaScript: 1 GiB of address space (a JVM
     * and V8 reserve far more than they use) and 64 processes (their threads count as processes).
     * C++: 1 GiB, 64 processes and 30 s, since compiling is part of the run.
     */
    public static SandboxLimits defaultLimits(Language language) {
        SandboxLimits base = SandboxLimits.defaults();
        return switch (language) {
            case PYTHON -> base;
            case JAVA, JAVASCRIPT -> base.withMemoryBytes(1024 * MIB).withMaxProcesses(64);
            case CPP -> base.withMemoryBytes(1024 * MIB).withMaxProcesses(64).withTimeout(java.time.Duration.ofSeconds(30));
        };
    }

    public Language language() {
        return language;
    }

    public Isolation isolation() {
        return sandbox.isolation();
    }

    /** Extracts the code from {@code completion} (markdown fences) and runs it against {@code tests}. */
    public CodeTestReport run(String completion, List<String> tests) {
        if (tests.isEmpty()) {
            return new CodeTestReport(List.of(), CodeTestReport.Status.COMPLETED, sandbox.isolation().describe(), "");
        }
        String code = CodeBlocks.extract(completion, language);
        String nonce = HarnessProtocol.newNonce();
        SandboxResult result = sandbox.run(harness.job(code, tests, nonce));
        HarnessProtocol.Parsed parsed = HarnessProtocol.parse(result.output(), nonce, tests.size());
        CodeTestReport.Status status;
        if (result.timedOut()) {
            status = CodeTestReport.Status.TIMEOUT;
        } else if (result.outputLimitExceeded()) {
            status = CodeTestReport.Status.OUTPUT_LIMIT;
        } else if (parsed.done()) {
            status = CodeTestReport.Status.COMPLETED;
        } else if (parsed.passed().isEmpty() && harness.compileFailed(result.output())) {
            status = CodeTestReport.Status.COMPILE_ERROR;
        } else {
            status = CodeTestReport.Status.CRASHED;
        }
        String log = HarnessProtocol.withoutResults(result.output(), nonce);
        if (log.length() > LOG_CHARS) {
            log = "..." + log.substring(log.length() - LOG_CHARS);
        }
        List<TestResult> results = new ArrayList<>(tests.size());
        for (int i = 0; i < tests.size(); i++) {
            Boolean passed = parsed.passed().get(i);
            String detail;
            if (passed == null) {
                detail = status == CodeTestReport.Status.COMPILE_ERROR ? "compile error" : "not run: " + describe(status, result);
            } else {
                detail = passed ? "" : parsed.failures().get(i);
            }
            results.add(new TestResult(tests.get(i), Boolean.TRUE.equals(passed), detail));
        }
        return new CodeTestReport(results, status, sandbox.isolation().describe(), log);
    }

    /**
     * Runs many completions, each against its own tests, like {@link #run} each, but Python's in one sandbox
     * and one interpreter start (forked children, one per completion, each with the per-run time limit, its own
     * CPU limit, directory and output bound, killed with all it started before the next one). The host is as
     * protected as with {@link #run}; the completions of one batch are less protected from each other (they
     * share the sandbox's uid and scratch space), so a hostile one may end the batch early: completions the
     * batch did not report are then run one by one with {@link #run}. Other languages run one by one.
     */
    public List<CodeTestReport> runBatch(List<String> completions, List<List<String>> tests) {
        if (completions.size() != tests.size()) {
            throw new IllegalArgumentException(completions.size() + " completions but " + tests.size() + " test lists");
        }
        if (!(harness instanceof PythonHarness python) || completions.size() < 2) {
            List<CodeTestReport> out = new ArrayList<>(completions.size());
            for (int i = 0; i < completions.size(); i++) {
                out.add(run(completions.get(i), tests.get(i)));
            }
            return out;
        }
        List<String> codes = completions.stream().map(c -> CodeBlocks.extract(c, language)).toList();
        String nonce = HarnessProtocol.newNonce();
        double perJob = sandbox.limits().timeout().toMillis() / 1000.0;
        int totalTests = tests.stream().mapToInt(List::size).sum();
        SandboxJob job = python.batchJob(codes, tests, nonce, perJob, sandbox.limits().maxOutputBytes(),
                sandbox.isolation().namespaces());
        java.time.Duration timeout = java.time.Duration.ofMillis(Math.round(1000 * (perJob * completions.size() + 10)));
        SandboxResult result = sandbox.run(job, timeout, 512L * (totalTests + completions.size()) + 4096);
        List<CodeTestReport> reports = BatchProtocol.parse(result.output(), nonce, tests, sandbox.isolation().describe());
        List<CodeTestReport> out = new ArrayList<>(completions.size());
        for (int i = 0; i < completions.size(); i++) {
            CodeTestReport r = reports.get(i);
            out.add(r != null ? r : run(completions.get(i), tests.get(i)));
        }
        return out;
    }

    private static String describe(CodeTestReport.Status status, SandboxResult result) {
        return switch (status) {
            case TIMEOUT -> "timeout after " + result.elapsed().toMillis() + " ms";
            case OUTPUT_LIMIT -> "output limit exceeded";
            case CRASHED -> "process ended (exit " + result.exitCode() + ")";
            default -> status.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
