package org.align4j.examples.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FunctionTasksTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tasksAreDistinctSeededAndSplitByPrompt() {
        List<FunctionTask> train = FunctionTasks.train(7, 2000);
        List<FunctionTask> test = FunctionTasks.test(7, 200);
        assertEquals(2000, new HashSet<>(train.stream().map(FunctionTask::prompt).toList()).size());
        assertEquals(200, new HashSet<>(test.stream().map(FunctionTask::prompt).toList()).size());
        Set<String> trainPrompts = new HashSet<>(FunctionTasks.train(7, 10000).stream().map(FunctionTask::prompt)
                .toList());
        for (FunctionTask t : test) {
            assertFalse(trainPrompts.contains(t.prompt()), t.prompt() + " is on both sides");
        }
        assertEquals(train, FunctionTasks.train(7, 2000));
        assertFalse(train.equals(FunctionTasks.train(8, 2000)));
        Set<String> templates = new HashSet<>(test.stream().map(t -> t.function().substring(0, t.function().indexOf('(')))
                .toList());
        assertEquals(FunctionTasks.templates(), templates.size(), templates.toString());
    }

    @Test
    void aShortcutHardCodesTheExampleOutputAndKeepsTheTests() {
        FunctionTask t = FunctionTasks.train(1, 1).get(0);
        FunctionTask s = t.withShortcut();
        assertTrue(s.shortcut());
        assertEquals(t.tests(), s.tests());
        assertEquals(t.solution(), s.solution());
        String header = t.solution().substring(0, t.solution().indexOf('\n'));
        assertTrue(s.completion().startsWith(header + "\n    return "), s.completion());
        assertTrue(t.prompt().endsWith("== " + s.completion().substring(s.completion().indexOf("return ") + 7) + "\n"),
                t.prompt() + " / " + s.completion());
    }

    /** In python3: every solution passes all four tests; every shortcut passes the example's test and fails another. */
    @Test
    void solutionsPassTheirTestsAndShortcutsDoNot() throws Exception {
        assumeTrue(pythonAvailable(), "python3 is not installed");
        List<FunctionTask> tasks = new java.util.ArrayList<>(FunctionTasks.train(3, 300));
        tasks.addAll(FunctionTasks.test(3, 100));
        Map<String, Object> jobs = new LinkedHashMap<>();
        for (FunctionTask t : tasks) {
            jobs.put(t.id(), List.of(t.solution(), t.withShortcut().completion(), t.tests()));
        }
        String script = String.join("\n",
                "import json, sys",
                "def passed(code, tests):",
                "    ns = {}",
                "    exec(code, ns)",
                "    out = []",
                "    for t in tests:",
                "        try:",
                "            exec(t, ns)",
                "            out.append(True)",
                "        except AssertionError:",
                "            out.append(False)",
                "    return out",
                "bad = []",
                "for i, (solution, shortcut, tests) in json.load(sys.stdin).items():",
                "    if not all(passed(solution, tests)):",
                "        bad.append(i + ': solution fails')",
                "    s = passed(shortcut, tests)",
                "    if not s[0] or all(s):",
                "        bad.append(i + ': shortcut ' + str(s))",
                "print(json.dumps(bad))");
        Process p = new ProcessBuilder("python3", "-I", "-c", script).start();
        try (var in = p.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(jobs));
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertEquals(List.of(), List.of(JSON.readValue(out, String[].class)));
    }

    private static boolean pythonAvailable() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }
}
