package org.align4j.examples.code;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.align4j.examples.io.Jsonl;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeTasksTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * Runs each (id, code) in its own namespace of one python3 process (one start-up instead of one per
     * task) and returns "id: ExceptionName" for each that raised.
     */
    private static List<String> failingPython(Map<String, String> codeById) throws Exception {
        String script = String.join("\n",
                "import json, sys",
                "failed = []",
                "for task_id, code in json.load(sys.stdin).items():",
                "    try:",
                "        exec(code, {})",
                "    except BaseException as e:",
                "        failed.append(task_id + ': ' + type(e).__name__)",
                "print(json.dumps(failed))");
        Process p = new ProcessBuilder("python3", "-I", "-c", script).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(codeById));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = drain(p.getInputStream(), out);
        Thread errReader = drain(p.getErrorStream(), err);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python3 did not finish in 30 s");
        }
        outReader.join();
        errReader.join();
        assertEquals(0, p.exitValue(), err.toString(StandardCharsets.UTF_8));
        return List.of(JSON.readValue(out.toByteArray(), String[].class));
    }

    private static Thread drain(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try {
                from.transferTo(to);
            } catch (IOException ignored) {
                // the process died; its exit status tells
            }
        });
        t.start();
        return t;
    }

    private static boolean pythonAvailable() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void tasksAreWellFormedAndTheSameProblemsInBothLanguages() {
        for (String lang : List.of(CodeTasks.PYTHON, CodeTasks.JAVA)) {
            List<CodeTask> tasks = CodeTasks.forLanguage(lang);
            assertTrue(tasks.size() >= 12);
            Set<String> ids = new HashSet<>();
            for (CodeTask t : tasks) {
                assertTrue(ids.add(t.id()), "duplicate id " + t.id());
                assertEquals(lang, t.language());
                assertTrue(t.tests().size() >= 3, t.id());
                assertTrue(t.prompt().startsWith("Write a "), t.id());
            }
        }
        List<String> py = CodeTasks.python().stream().map(t -> t.id().substring(3)).toList();
        List<String> java = CodeTasks.java().stream().map(t -> t.id().substring(5)).toList();
        assertEquals(py, java);
        String row = Jsonl.line(CodeTasks.python().get(0));
        assertEquals("{\"id\":\"py-add\",\"prompt\":\"Write a function add(a, b) that returns the sum of the integers a"
                + " and b.\",\"tests\":[\"assert add(1, 2) == 3\",\"assert add(-4, 4) == 0\",\"assert add(0, 7) == 7\"],"
                + "\"language\":\"python\",\"reference_solution\":\"def add(a, b):\\n    return a + b\"}", row);
        BadInputException e = assertThrows(BadInputException.class, () -> CodeTasks.forLanguage("rust"));
        assertEquals("unknown language 'rust' (expected python or java)", e.getMessage());
    }

    @Test
    void pythonReferenceSolutionsPassTheirTestsAndAWrongOneFails() throws Exception {
        assumeTrue(pythonAvailable(), "python3 not on PATH");
        Map<String, String> code = new LinkedHashMap<>();
        for (CodeTask t : CodeTasks.python()) {
            code.put(t.id(), t.referenceSolution() + "\n\n" + String.join("\n", t.tests()) + "\n");
        }
        code.put("wrong-add", "def add(a, b):\n    return a - b\n\n" + String.join("\n", CodeTasks.python().get(0).tests()));
        assertEquals(List.of("wrong-add: AssertionError"), failingPython(code));
    }

    /**
     * Compiles every Java task in its own package (so each can have its class Solution) together with a class
     * that evaluates its test expressions, in one javac call, and returns the results per task.
     */
    private List<boolean[]> runJava(List<CodeTask> tasks, List<String> solutions) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assumeTrue(javac != null, "no Java compiler in this runtime");
        List<String> files = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Path dir = Files.createDirectories(tmp.resolve("src/t" + i));
            Files.writeString(dir.resolve("Solution.java"), "package t" + i + ";\n" + solutions.get(i));
            Files.writeString(dir.resolve("Check.java"), "package t" + i + ";\npublic final class Check {\n"
                    + "    public static boolean[] run() {\n        return new boolean[] {\n            "
                    + String.join(",\n            ", tasks.get(i).tests()) + "\n        };\n    }\n}\n");
            files.add(dir.resolve("Solution.java").toString());
            files.add(dir.resolve("Check.java").toString());
        }
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-proc:none"));
        args.addAll(files);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, args.toArray(String[]::new));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        List<boolean[]> results = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()})) {
            for (int i = 0; i < tasks.size(); i++) {
                results.add((boolean[]) loader.loadClass("t" + i + ".Check").getMethod("run").invoke(null));
            }
        }
        return results;
    }

    @Test
    void javaReferenceSolutionsPassTheirTestsAndAWrongOneFails() throws Exception {
        List<CodeTask> tasks = new ArrayList<>(CodeTasks.java());
        List<String> solutions = new ArrayList<>(tasks.stream().map(CodeTask::referenceSolution).toList());
        tasks.add(tasks.get(0));
        solutions.add("class Solution {\n    static int add(int a, int b) {\n        return a - b;\n    }\n}");
        List<boolean[]> results = runJava(tasks, solutions);
        for (int i = 0; i + 1 < tasks.size(); i++) {
            boolean[] all = new boolean[tasks.get(i).tests().size()];
            java.util.Arrays.fill(all, true);
            assertArrayEquals(all, results.get(i), tasks.get(i).id());
        }
        boolean[] wrong = results.get(results.size() - 1);
        assertFalse(wrong[0] && wrong[1] && wrong[2], "a - b must fail a test of add");
    }
}
