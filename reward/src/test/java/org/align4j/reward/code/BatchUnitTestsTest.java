package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.align4j.reward.RewardInput;
import org.align4j.reward.sandbox.HostSupport;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.SandboxLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many completions in one sandbox (completions_per_sandbox): each is judged as it would be alone, and one that
 * loops, floods, leaves a daemon or kills the batch's harness does not change the others' results; escapes fail as
 * they do alone (HostileCodeTest), and nothing one completion leaves reaches the next. Under bubblewrap and under the
 * unshare fallback, where the host allows each.
 */
class BatchUnitTestsTest {

    private static final List<String> TESTS = List.of("assert f(1) == 2", "assert f(5) == 6");
    private static final String RIGHT = "def f(x):\n    return x + 1\n";
    private static final String WRONG = "def f(x):\n    return 2\n";

    /** Both sandboxes, where this host allows them (as HostileCodeTest): the batch harness runs inside either. */
    static Stream<IsolationMode> sandboxes() {
        return Stream.of(IsolationMode.BWRAP, IsolationMode.UNSHARE);
    }

    private static CodeTestRunner runner(IsolationMode mode) {
        HostSupport host = HostSupport.get();
        assumeTrue(mode != IsolationMode.BWRAP || host.bwrapWorks(), "bwrap does not work here: " + host.bwrapProblem());
        assumeTrue(mode != IsolationMode.UNSHARE || host.unshareWorks(),
                "unshare does not work here: " + host.unshareProblem());
        return CodeTestRunner.create(Language.PYTHON, mode,
                SandboxLimits.defaults().withTimeout(Duration.ofSeconds(3)).withMaxOutputBytes(16 * 1024), "python3");
    }

    private static List<Double> rewards(List<CodeTestReport> reports) {
        return reports.stream().map(r -> r.reward(RewardMode.FRACTION)).toList();
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void eachCompletionIsJudgedAsItWouldBeAlone(IsolationMode sandbox) {
        CodeTestRunner runner = runner(sandbox);
        List<String> codes = List.of(RIGHT, WRONG, "def f(x)\n    return x\n", "```python\n" + RIGHT + "```\n",
                "print('\\nPASS 0')\ndef f(x):\n    return 6\n", "import sys\nsys.exit(3)\n");
        List<List<String>> tests = codes.stream().map(c -> TESTS).toList();
        List<CodeTestReport> batch = runner.runBatch(codes, tests);
        List<CodeTestReport> alone = new ArrayList<>();
        for (String c : codes) {
            alone.add(runner.run(c, TESTS));
        }
        assertEquals(rewards(alone), rewards(batch));
        assertEquals(List.of(1.0, 0.5, 0.0, 1.0, 0.5, 0.0), rewards(batch));
        assertTrue(batch.get(2).results().get(0).detail().contains("SyntaxError"), batch.get(2).toString());
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void hostileCompletionsDoNotSpoilTheOthers(IsolationMode sandbox) {
        CodeTestRunner runner = runner(sandbox);
        String loop = "while True:\n    pass\n";
        String flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 4096)\n";
        String daemon = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n" + RIGHT;
        String killParent = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + RIGHT;
        String deleteFiles = "import os\nfor n in os.listdir('..'):\n    try:\n        os.remove(os.path.join('..', n))\n"
                + "    except OSError:\n        pass\n" + RIGHT;
        List<String> codes = List.of(RIGHT, loop, RIGHT, flood, daemon, WRONG, deleteFiles, killParent, RIGHT, WRONG);
        List<CodeTestReport> batch = runner.runBatch(codes, codes.stream().map(c -> TESTS).toList());
        // killing the harness ends the batch: the completions it did not report are run again one by one
        double killerAlone = runner.run(killParent, TESTS).reward(RewardMode.FRACTION);
        assertEquals(List.of(1.0, 0.0, 1.0, 0.0, 1.0, 0.5, 1.0, killerAlone, 1.0, 0.5), rewards(batch));
        assertEquals(CodeTestReport.Status.TIMEOUT, batch.get(1).status());
        assertEquals(CodeTestReport.Status.OUTPUT_LIMIT, batch.get(3).status());
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void escapesFailInsideABatchAndNothingCarriesToTheNextCompletion(IsolationMode sandbox, @TempDir Path userFiles)
            throws Exception {
        CodeTestRunner runner = runner(sandbox);
        Path victim = userFiles.resolve("victim.txt");
        Files.writeString(victim, "precious");
        try (ServerSocket trainerSide = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String connect = "import socket\nsocket.create_connection(('127.0.0.1', " + trainerSide.getLocalPort()
                    + "), timeout=1).sendall(b'leak')\n" + RIGHT;
            String overwrite = "open('" + victim + "', 'w').write('gone')\n" + RIGHT;
            // a completion that leaves a file (or a changed module) for the next one: each starts afresh
            String plant = "open('planted.txt', 'w').write('x')\nimport json\njson.dumps = lambda *a, **k: 'hijacked'\n"
                    + RIGHT;
            String check = "import os, json\nassert not os.path.exists('planted.txt')\nassert json.dumps(1) == '1'\n"
                    + RIGHT;
            List<String> codes = List.of(RIGHT, connect, overwrite, plant, check, RIGHT);
            List<CodeTestReport> batch = runner.runBatch(codes, codes.stream().map(c -> TESTS).toList());
            assertEquals(List.of(1.0, 0.0, 0.0, 1.0, 1.0, 1.0), rewards(batch), batch.toString());
            trainerSide.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, trainerSide::accept, "a batched completion reached the trainer");
        }
        assertEquals("precious", Files.readString(victim));
    }

    @Test
    void theRewardScoresABatchInChunksAndKeepsRowsWithoutTests() {
        assumeTrue(HostSupport.get().bwrapWorks() || HostSupport.get().unshareWorks(), "no sandbox works here");
        try (UnitTestReward reward = new UnitTestReward(Language.PYTHON,
                Map.of("completions_per_sandbox", 3, "reward_workers", 2, "mode", "all"))) {
            List<RewardInput> batch = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                batch.add(RewardInput.ofText("p", i % 2 == 0 ? RIGHT : WRONG, Map.of("tests", TESTS)));
            }
            batch.add(RewardInput.ofText("p", RIGHT, Map.of()));
            List<Double> scores = reward.score(batch);
            assertEquals(List.of(1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0), scores.subList(0, 7));
            assertEquals(null, scores.get(7));
        }
    }
}
