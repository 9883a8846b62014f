package org.align4j.reward.code;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.align4j.reward.sandbox.SandboxJob;

/**
 * Python tests are statements (MBPP's {@code test_list}: {@code assert f(1) == 2}), each run with
 * {@code exec} in the namespace the solution defined. The interpreter is resolved once, outside the
 * sandbox, to its real executable and installation so that exactly those are made visible inside.
 */
final class PythonHarness implements TestHarness {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The test loop both harnesses run (python_test_loop.py), put in front of each: -I leaves nothing to import from. */
    private static final String TEST_LOOP = loadHarness("python_test_loop.py");
    private static final String HARNESS = TEST_LOOP + "\n" + loadHarness("python_harness.py");
    private static final String BATCH_HARNESS = TEST_LOOP + "\n" + loadHarness("python_batch_harness.py");
    private static final Map<String, String> ENV = Map.of(
            "PYTHONIOENCODING", "utf-8", "PYTHONDONTWRITEBYTECODE", "1", "PYTHONHASHSEED", "0");

    private final String executable;
    private final List<Path> installation;

    PythonHarness(String python) {
        List<String> where = describeInterpreter(python);
        this.executable = where.get(0);
        List<Path> paths = new ArrayList<>();
        paths.add(Path.of(executable).getParent());
        paths.add(Path.of(where.get(1)));
        paths.add(Path.of(where.get(2)));
        this.installation = List.copyOf(paths);
    }

    @Override
    public SandboxJob job(String code, List<String> tests, String nonce) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("harness.py", HARNESS);
        files.put("solution.py", code);
        try {
            files.put("tests.json", JSON.writeValueAsString(tests));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tests cannot be written as JSON: " + e.getMessage(), e);
        }
        // -I: no user site-packages, no PYTHON* variables, no script directory on sys.path; -B: no .pyc files.
        return new SandboxJob(files, List.of(executable, "-I", "-B", "harness.py"), nonce + "\n", installation, ENV);
    }

    /**
     * One job that runs many completions' code, each against its own tests, in forked children of one
     * interpreter (python_batch_harness.py): each child has its own session, CPU limit, private directory,
     * output bound and wall-clock limit, and is killed with all it started before the next one runs;
     * {@code sweep} (only in a pid namespace) kills every other process of the namespace after each job.
     */
    SandboxJob batchJob(List<String> codes, List<List<String>> tests, String nonce, double timeoutSeconds,
                        long maxOutputBytes, boolean sweep) {
        List<List<Object>> jobs = new ArrayList<>(codes.size());
        for (int i = 0; i < codes.size(); i++) {
            jobs.add(List.of(codes.get(i), tests.get(i)));
        }
        Map<String, String> files = new LinkedHashMap<>();
        files.put("batch_harness.py", BATCH_HARNESS);
        try {
            files.put("jobs.json", JSON.writeValueAsString(jobs));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("jobs cannot be written as JSON: " + e.getMessage(), e);
        }
        return new SandboxJob(files, List.of(executable, "-I", "-B", "batch_harness.py",
                Double.toString(timeoutSeconds), Long.toString(maxOutputBytes), sweep ? "sweep" : "nosweep"),
                nonce + "\n", installation, ENV);
    }

    @Override
    public SandboxJob probe() {
        return new SandboxJob(Map.of(), List.of(executable, "-I", "-B", "-c", "import json, os"), "", installation, ENV);
    }

    /** Real executable, sys.prefix and sys.base_prefix of {@code python} (which may be a shim or a venv). */
    static List<String> describeInterpreter(String python) {
        String script = "import os, sys; print(os.path.realpath(sys.executable)); print(sys.prefix); print(sys.base_prefix)";
        try {
            Process p = new ProcessBuilder(python, "-c", script).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalArgumentException("python interpreter '" + python + "' did not answer within 30 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            List<String> lines = out.lines().map(String::strip).toList();
            if (p.exitValue() != 0 || lines.size() < 3) {
                throw new IllegalArgumentException("python interpreter '" + python + "' does not work: " + out);
            }
            return lines.subList(lines.size() - 3, lines.size());
        } catch (IOException e) {
            throw new IllegalArgumentException("python interpreter '" + python + "' cannot be started: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while locating the python interpreter", e);
        }
    }

    private static String loadHarness(String name) {
        try (InputStream in = PythonHarness.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the reward jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
