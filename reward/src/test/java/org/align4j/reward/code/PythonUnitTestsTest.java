package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.reward.RewardInput;
import org.align4j.reward.sandbox.IsolationMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ordinary (well-behaved) Python completions, run in the default sandbox. */
class PythonUnitTestsTest {

    private static final List<String> TESTS = List.of("assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(2, 2) == 4");

    private static UnitTestReward fraction;
    private static CodeTestRunner runner;

    @BeforeAll
    static void start() {
        fraction = new UnitTestReward(Language.PYTHON, Map.of("timeout_seconds", 5, "reward_workers", 2));
        runner = fraction.runner();
    }

    @AfterAll
    static void stop() {
        fraction.close();
    }

    @Test
    void allTestsPass() {
        CodeTestReport r = runner.run("def add(a, b):\n    return a + b\n", TESTS);
        assertEquals(CodeTestReport.Status.COMPLETED, r.status(), r.log());
        assertEquals(3, r.passed());
        assertEquals(1.0, r.reward(RewardMode.ALL));
    }

    @Test
    void eachTestIsReportedSeparately() {
        CodeTestReport r = runner.run("def add(a, b):\n    return a + b if a >= 0 else 99\n", TESTS);
        assertEquals(List.of(true, false, true), r.results().stream().map(TestResult::passed).toList());
        assertTrue(r.results().get(1).detail().startsWith("AssertionError"), r.results().get(1).detail());
        assertEquals(2.0 / 3, r.reward(RewardMode.FRACTION), 1e-12);
        assertEquals(0.0, r.reward(RewardMode.ALL));
    }

    @Test
    void aTestThatRaisesOrDoesNotParseDoesNotHideTheOthers() {
        List<String> tests = List.of("assert add(1, 2) == 3", "assert add(1, 'x') == 3", "assert add(1, 2 == 3", "assert add(2, 2) == 4");
        CodeTestReport r = runner.run("def add(a, b):\n    return a + b\n", tests);
        assertEquals(List.of(true, false, false, true), r.results().stream().map(TestResult::passed).toList());
        assertTrue(r.results().get(1).detail().startsWith("TypeError"), r.results().get(1).detail());
        assertTrue(r.results().get(2).detail().startsWith("SyntaxError"), r.results().get(2).detail());
    }

    @Test
    void aSolutionThatFailsToLoadFailsEveryTest() {
        CodeTestReport r = runner.run("def add(a, b)\n    return a + b\n", TESTS);
        assertEquals(0, r.passed());
        assertTrue(r.results().get(0).detail().contains("SyntaxError"), r.results().get(0).detail());
    }

    @Test
    void codeIsTakenFromMarkdownFences() {
        String completion = "Here is my solution:\n```python\ndef add(a, b):\n    return a + b\n```\nIt adds.";
        assertEquals(3, runner.run(completion, TESTS).passed());
    }

    @Test
    void printingAResultLineDoesNotForgeAPass() {
        String forger = "import sys\nfor i in range(3):\n    print('\\n' + 'PASS', i)\n    print('align4j-0 %d PASS' % i)\n"
                + "def add(a, b):\n    return None\n";
        assertEquals(0, runner.run(forger, TESTS).passed());
    }

    @Test
    void exitingEarlyFailsTheRemainingTests() {
        CodeTestReport r = runner.run("import os\ndef add(a, b):\n    os._exit(0)\n", TESTS);
        assertEquals(0, r.passed());
        assertEquals(CodeTestReport.Status.CRASHED, r.status());
        assertTrue(r.results().get(0).detail().startsWith("not run"), r.results().get(0).detail());
    }

    @Test
    void sysExitInATestIsJustAFailure() {
        CodeTestReport r = runner.run("import sys\ndef add(a, b):\n    if a < 0: sys.exit(3)\n    return a + b\n", TESTS);
        assertEquals(List.of(true, false, true), r.results().stream().map(TestResult::passed).toList());
        assertEquals(CodeTestReport.Status.COMPLETED, r.status());
    }

    @Test
    void rewardBatchesInParallelAbstainsWithoutTestsAndReadsMbppTestList() {
        List<RewardInput> batch = List.of(
                RewardInput.ofText("p", "def add(a, b):\n    return a + b\n", Map.of("tests", TESTS)),
                RewardInput.ofText("p", "def add(a, b):\n    return a + b if a > 0 else 5\n", Map.of("test_list", TESTS)),
                RewardInput.ofText("p", "def add(a, b):\n    return a + b\n", Map.of("answer", "3")));
        List<Double> scores = fraction.score(batch);
        assertEquals(1.0, scores.get(0));
        assertEquals(2.0 / 3, scores.get(1), 1e-12);
        assertEquals(null, scores.get(2));
        try (UnitTestReward all = new UnitTestReward(Language.PYTHON, Map.of("mode", "all"))) {
            assertEquals(Arrays.asList(1.0, 0.0, null), all.score(batch));
        }
    }

    @Test
    void aBatchIsScoredByAPoolOfSandboxesAndTakesAsLongAsItsSlowestRun() {
        // Four completions that each sleep 1.5 s (no CPU), four workers: together about 1.5 s, not 6 s.
        // Each keeps its own time limit: the one that sleeps 5 s is cut at 3 s and scores 0.
        List<RewardInput> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(RewardInput.ofText("p", "import time\ntime.sleep(1.5)\ndef add(a, b):\n    return a + b\n", Map.of("tests", TESTS)));
        }
        batch.add(RewardInput.ofText("p", "import time\ntime.sleep(5)\ndef add(a, b):\n    return a + b\n", Map.of("tests", TESTS)));
        try (UnitTestReward pooled = new UnitTestReward(Language.PYTHON, Map.of("reward_workers", 5, "timeout_seconds", 3))) {
            long start = System.nanoTime();
            List<Double> scores = pooled.score(batch);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(List.of(1.0, 1.0, 1.0, 1.0, 0.0), scores);
            assertTrue(seconds < 6, "the runs overlapped (one after another: 9 s): " + seconds + " s");
        }
    }

    @Test
    void aMissingInterpreterIsNamed() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new UnitTestReward(Language.PYTHON, Map.of("interpreter", "/nonexistent/python3")));
        assertTrue(e.getMessage().contains("'/nonexistent/python3'"), e.getMessage());
    }

    @Test
    void rewardExecutorSparkWithoutTheDistributedModuleIsOneLineNamingTheKey() {
        // the reward module's tests have no distributed module on the classpath, as the plain launcher jar
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(org.align4j.policy.util.BadInputException.class,
                () -> new UnitTestReward(Language.PYTHON, Map.of("reward_executor", "spark")));
        assertTrue(e.getMessage().startsWith("python_tests: unknown reward_executor 'spark', known: local"), e.getMessage());
        assertTrue(e.getMessage().contains("-Pdistributed") && !e.getMessage().contains("\n"), e.getMessage());
        try (UnitTestReward local = new UnitTestReward(Language.PYTHON, Map.of("reward_executor", "local"))) {
            assertEquals("local", local.executor());
        }
    }

    @Test
    void isolationIsReported() {
        assertFalse(runner.run("def add(a, b):\n    return a + b\n", TESTS).isolation().isEmpty());
        assertEquals(runner.isolation().describe(), runner.run("x = 1", List.of("assert x == 1")).isolation());
        assertEquals(4, IsolationMode.values().length);
    }
}
