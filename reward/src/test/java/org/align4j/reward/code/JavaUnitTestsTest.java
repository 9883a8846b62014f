package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.align4j.reward.sandbox.IsolationMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Java completions: compiled and run by this JDK's source launcher in the sandbox. */
class JavaUnitTestsTest {

    private static final String ADD = "public class Solution {\n"
            + "    public static int add(int a, int b) { return a + b; }\n"
            + "    public static int div(int a, int b) { return a / b; }\n"
            + "}\n";

    private static CodeTestRunner runner;

    @BeforeAll
    static void start() {
        runner = CodeTestRunner.create(Language.JAVA, IsolationMode.AUTO,
                CodeTestRunner.defaultLimits(Language.JAVA).withTimeout(Duration.ofSeconds(30)), null);
    }

    private static List<Boolean> passed(CodeTestReport r) {
        return r.results().stream().map(TestResult::passed).toList();
    }

    @Test
    void expressionsAndAssertsAreCheckedSeparately() {
        CodeTestReport r = runner.run(ADD, List.of("Solution.add(1, 2) == 3", "assert Solution.add(-1, 1) == 0;",
                "Solution.add(2, 2) == 5", "Solution.div(1, 0) == 0", "Solution.div(6, 3) == 2"));
        assertEquals(CodeTestReport.Status.COMPLETED, r.status(), r.log());
        assertEquals(List.of(true, true, false, false, true), passed(r));
        assertEquals("expression was false", r.results().get(2).detail());
        assertTrue(r.results().get(3).detail().startsWith("java.lang.ArithmeticException"), r.results().get(3).detail());
        assertEquals(0.6, r.reward(RewardMode.FRACTION), 1e-12);
    }

    @Test
    void markdownImportsAndPackageLinesAreHandled() {
        String completion = "Here you go:\n```java\npackage com.example;\n\nimport java.util.List;\n\n"
                + "public class Sums {\n    public static int sum(List<Integer> xs) {\n"
                + "        return xs.stream().mapToInt(Integer::intValue).sum();\n    }\n}\n```\n";
        CodeTestReport r = runner.run(completion, List.of("Sums.sum(List.of(1, 2, 3)) == 6", "Sums.sum(new ArrayList<>()) == 0"));
        assertEquals(List.of(true, true), passed(r), r.log());
    }

    @Test
    void aCompileErrorFailsEveryTest() {
        CodeTestReport r = runner.run("public class Solution { int broken( }", List.of("Solution.add(1, 2) == 3"));
        assertEquals(CodeTestReport.Status.COMPILE_ERROR, r.status());
        assertEquals("compile error", r.results().get(0).detail());
        assertTrue(r.log().contains("error"), r.log());
    }

    @Test
    void exitingEarlyFailsTheRemainingTestsAndThreadsDoNotHoldTheRun() {
        String code = "public class Solution {\n"
                + "    public static boolean ok() { new Thread(() -> { while (true) { } }).start(); return true; }\n"
                + "    public static boolean quit() { System.exit(0); return true; }\n"
                + "}\n";
        CodeTestReport r = runner.run(code, List.of("Solution.ok()", "Solution.quit()", "Solution.ok()"));
        assertEquals(CodeTestReport.Status.CRASHED, r.status(), r.log());
        assertEquals(List.of(true, false, false), passed(r));

        CodeTestReport stillRunning = runner.run(code, List.of("Solution.ok()"));
        assertEquals(CodeTestReport.Status.COMPLETED, stillRunning.status(), "a running thread must not keep the run open");
    }

    @Test
    void anEndlessLoopTimesOut() {
        CodeTestRunner impatient = CodeTestRunner.create(Language.JAVA, IsolationMode.AUTO,
                CodeTestRunner.defaultLimits(Language.JAVA).withTimeout(Duration.ofSeconds(3)), null);
        String code = "public class Solution { public static boolean spin() { while (true) { } } }\n";
        CodeTestReport r = impatient.run(code, List.of("Solution.spin()"));
        assertEquals(CodeTestReport.Status.TIMEOUT, r.status());
        assertEquals(0.0, r.reward(RewardMode.FRACTION));
        assertTrue(r.results().get(0).detail().startsWith("not run: timeout"), r.results().get(0).detail());
    }
}
