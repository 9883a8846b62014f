package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.align4j.reward.sandbox.HostSupport;
import org.align4j.reward.sandbox.Isolation;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.SandboxLimits;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Untrusted completions that attack the trainer: each gets reward 0 for what it did not pass, the
 * host is left as it was, nothing of the attack is left running, and the runner goes on working.
 * Every case runs under both sandboxes, bubblewrap and the util-linux {@code unshare} fallback,
 * where this host allows them (a mode that does not work here is skipped, saying why; CI installs
 * bubblewrap, and unshare works as root). Every attack is bounded on its own so that a containment
 * bug cannot hurt the shared machine: the fork "bomb" is a tree of at most 128 sleeping processes.
 */
class HostileCodeTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, CodeTestRunner> RUNNERS = new ConcurrentHashMap<>();
    private static final String GOOD = "def f():\n    return 1\n";
    private static final List<String> GOOD_TESTS = List.of("assert f() == 1");

    /** The sandboxes to attack. */
    static Stream<IsolationMode> sandboxes() {
        return Stream.of(IsolationMode.BWRAP, IsolationMode.UNSHARE);
    }

    private static CodeTestRunner runner(IsolationMode mode) {
        HostSupport host = HostSupport.get();
        assumeTrue(mode != IsolationMode.BWRAP || host.bwrapWorks(), "bwrap does not work here: " + host.bwrapProblem());
        assumeTrue(mode != IsolationMode.UNSHARE || host.unshareWorks(), "unshare does not work here: " + host.unshareProblem());
        return RUNNERS.computeIfAbsent(mode.name(), n -> {
            // 4 s: enough for the memory hog to reach its limit on a loaded machine, short enough for the loops.
            SandboxLimits limits = SandboxLimits.defaults().withTimeout(Duration.ofSeconds(4))
                    .withMemoryBytes(256L * 1024 * 1024).withMaxProcesses(32).withMaxOutputBytes(64 * 1024);
            CodeTestRunner runner = CodeTestRunner.create(Language.PYTHON, mode, limits, "python3");
            assertTrue(runner.isolation().network() && runner.isolation().protectsFiles()
                    && runner.isolation().protectsProcesses(), runner.isolation().toString());
            return runner;
        });
    }

    private static void assertRunnerStillWorks(CodeTestRunner runner) {
        CodeTestReport r = runner.run(GOOD, GOOD_TESTS);
        assertEquals(1.0, r.reward(RewardMode.FRACTION), "a good completion after the attack: " + r);
    }

    private static String token() {
        // A unique sleep duration marks the attack's processes in the host's process table.
        return "30." + (100_000_000_000L + Math.floorMod(RANDOM.nextLong(), 800_000_000_000L));
    }

    private static List<Long> processesWith(String token) throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(token)) {
                        found.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return found;
    }

    private static void assertAllGone(String token) throws Exception {
        List<Long> left = processesWith(token);
        for (int i = 0; i < 50 && !left.isEmpty(); i++) {
            Thread.sleep(20);
            left = processesWith(token);
        }
        left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly)); // never leave them behind
        assertTrue(left.isEmpty(), "processes of the attack survived the run: " + left);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void infiniteLoopTimesOutAndKeepsTheResultsBeforeIt(IsolationMode sandbox) {
        CodeTestRunner runner = runner(sandbox);
        String code = GOOD + "def spin():\n    while True:\n        pass\n";
        CodeTestReport r = runner.run(code, List.of("assert f() == 1", "spin()", "assert f() == 1"));
        assertEquals(CodeTestReport.Status.TIMEOUT, r.status());
        assertEquals(List.of(true, false, false), r.results().stream().map(TestResult::passed).toList());
        assertTrue(r.results().get(1).detail().startsWith("not run: timeout"), r.results().get(1).detail());
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void forkBombIsKilledEntirely(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        String token = token();
        String code = "import os\n"
                + "top = os.getpid()\n"
                + "for _ in range(7):\n"               // a tree of at most 2^7 processes
                + "    try:\n"
                + "        os.fork()\n"
                + "    except OSError:\n"
                + "        pass\n"
                + "if os.getpid() != top:\n"
                + "    os.execvp('sleep', ['sleep', '" + token + "'])\n"
                + "while True:\n"
                + "    pass\n" + GOOD;
        CodeTestReport r = runner.run(code, GOOD_TESTS);
        assertEquals(CodeTestReport.Status.TIMEOUT, r.status());
        assertEquals(0.0, r.reward(RewardMode.FRACTION));
        assertAllGone(token);
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void processCountIsCapped(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        Isolation isolation = runner.isolation();
        assumeTrue(isolation.capsProcesses(), "RLIMIT_NPROC does not bind root without a separate uid (the timeout still kills it)");
        String token = token();
        String code = "import os\nFORKED = 0\n"
                + "for _ in range(200):\n"
                + "    try:\n"
                + "        pid = os.fork()\n"
                + "    except OSError:\n"
                + "        break\n"
                + "    if pid == 0:\n"
                + "        os.execvp('sleep', ['sleep', '" + token + "'])\n"
                + "    FORKED += 1\n";
        // With a fresh uid the cap is exact (the harness is one of the 32); without, it is on top of ours.
        String cap = isolation.separateUid() ? "assert FORKED < 32, FORKED" : "assert FORKED < 200, FORKED";
        CodeTestReport r = runner.run(code, List.of(cap));
        assertEquals(1, r.passed(), r.toString());
        assertAllGone(token);
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void unboundedAllocationFailsOnlyWhatItTouches(IsolationMode sandbox) {
        CodeTestRunner runner = runner(sandbox);
        String code = GOOD + "def hog():\n    held = []\n    while True:\n        held.append(bytearray(32 * 1024 * 1024))\n";
        CodeTestReport r = runner.run(code, List.of("assert f() == 1", "hog()", "assert f() == 1"));
        assertEquals(List.of(true, false, true), r.results().stream().map(TestResult::passed).toList(), r.toString());
        assertTrue(r.results().get(1).detail().startsWith("MemoryError"), r.results().get(1).detail());

        CodeTestReport atLoad = runner.run("held = []\nwhile True:\n    held.append(bytearray(32 * 1024 * 1024))\n" + GOOD, GOOD_TESTS);
        assertEquals(0.0, atLoad.reward(RewardMode.FRACTION));
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void floodingOutputIsCutOff(IsolationMode sandbox) {
        CodeTestRunner runner = runner(sandbox);
        CodeTestReport r = runner.run("import sys\nwhile True:\n    print('x' * 10000)\n    sys.stderr.write('y' * 10000)\n" + GOOD,
                GOOD_TESTS);
        assertEquals(CodeTestReport.Status.OUTPUT_LIMIT, r.status());
        assertEquals(0.0, r.reward(RewardMode.FRACTION));
        assertTrue(r.log().length() <= 2003, "the log is bounded");
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void writingOutsideItsDirectoryFails(IsolationMode sandbox, @TempDir Path userFiles) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        Path victim = userFiles.resolve("victim.txt");
        Files.writeString(victim, "precious");
        Path created = userFiles.resolve("created.txt");
        String marker = "align4j-escaped-" + Math.floorMod(RANDOM.nextLong(), 1_000_000_000L);
        String code = "import os\nDONE = []\n"
                + "def attempt(name, action):\n"
                + "    try:\n"
                + "        action()\n"
                + "        DONE.append(name)\n"
                + "    except OSError:\n"
                + "        pass\n"
                + "attempt('overwrite', lambda: open(" + py(victim) + ", 'w').write('gone'))\n"
                + "attempt('create', lambda: open(" + py(created) + ", 'w').write('new'))\n"
                + "attempt('delete', lambda: os.remove(" + py(victim) + "))\n"
                + "for d in ['/', '/etc', '/usr', '/usr/bin', '/tmp', '/root', '/dev/shm', '/proc/self']:\n"
                + "    attempt(d, lambda: open(os.path.join(d, '" + marker + "'), 'w').write('x'))\n";
        CodeTestReport r = runner.run(code, List.of("assert 'overwrite' in DONE", "assert 'create' in DONE",
                "assert 'delete' in DONE", "assert DONE and DONE != ['/tmp'], DONE"));
        assertEquals(CodeTestReport.Status.COMPLETED, r.status(), r.log());
        assertEquals(0.0, r.reward(RewardMode.FRACTION), r.toString());
        assertEquals("precious", Files.readString(victim));
        assertFalse(Files.exists(created));
        for (String d : List.of("/", "/etc", "/usr", "/usr/bin", "/tmp", "/root", "/dev/shm")) {
            assertFalse(Files.exists(Path.of(d, marker)), "the sandbox wrote " + d + "/" + marker + " on the host");
        }
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void writingInsideItsDirectoryWorksAndDoesNotCarryOver(IsolationMode sandbox) {
        CodeTestRunner runner = runner(sandbox);
        String code = "import os\nFOUND = os.path.exists('scratch.txt')\nwith open('scratch.txt', 'w') as f:\n    f.write('ok')\n";
        List<String> tests = List.of("assert open('scratch.txt').read() == 'ok'", "assert not FOUND");
        assertEquals(2, runner.run(code, tests).passed());
        assertEquals(2, runner.run(code, tests).passed(), "a second run starts in a fresh directory");
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void openingSocketsFails(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        try (ServerSocket trainerSide = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String code = "import socket\n";
            List<String> tests = List.of(
                    "socket.create_connection(('127.0.0.1', " + trainerSide.getLocalPort() + "), timeout=1).sendall(b'leak')",
                    "socket.create_connection(('repo.maven.apache.org', 443), timeout=1)");
            CodeTestReport r = runner.run(code, tests);
            assertEquals(0.0, r.reward(RewardMode.FRACTION), r.toString());
            trainerSide.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, trainerSide::accept, "the sandbox reached the trainer's port");
        }
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void signallingTheTrainerOrItsNeighboursFails(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        Process neighbour = new ProcessBuilder("sleep", "60").start();
        try {
            String code = "import os, signal\n";
            List<String> tests = List.of(
                    "os.kill(" + neighbour.pid() + ", signal.SIGKILL)",
                    "os.kill(" + ProcessHandle.current().pid() + ", signal.SIGKILL)",
                    "os.kill(os.getppid(), signal.SIGKILL)",
                    "os.kill(1, signal.SIGKILL)");
            CodeTestReport r = runner.run(code, tests);
            assertEquals(0, r.passed(), r.toString());
            assertTrue(neighbour.isAlive(), "the neighbour process was killed");
        } finally {
            neighbour.destroyForcibly();
        }
        assertRunnerStillWorks(runner);
    }

    private static String py(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void killingEverythingItCanSeeLeavesTheTrainerAndItsGroupAlive(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        // A neighbour in the trainer's own process group, of the trainer's uid.
        Process neighbour = new ProcessBuilder("sleep", "60").start();
        try {
            for (String attack : List.of("os.kill(-1, signal.SIGKILL)", "os.killpg(0, signal.SIGKILL)",
                    "os.killpg(os.getpgid(os.getppid()) if os.getppid() > 0 else 0, signal.SIGKILL)",
                    "os.kill(os.getppid() or 1, signal.SIGKILL)",
                    "os.system('kill -9 -1; kill -9 0; kill -9 " + ProcessHandle.current().pid() + "')")) {
                String code = "import os, signal\n" + attack + "\nimport time\ntime.sleep(0.05)\nALIVE = True\n";
                CodeTestReport r = runner.run(code, List.of("os.kill(" + ProcessHandle.current().pid() + ", 0)",
                        "os.kill(" + neighbour.pid() + ", 0)"));
                assertEquals(0.0, r.reward(RewardMode.FRACTION), attack + ": " + r);
                assertTrue(neighbour.isAlive(), attack + " killed a process of the trainer's group");
            }
        } finally {
            neighbour.destroyForcibly();
        }
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void sleepingForeverTimesOutAndIsKilled(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        String token = token();
        String code = "import subprocess\nsubprocess.run(['sleep', '" + token + "'])\n" + GOOD;
        long start = System.nanoTime();
        CodeTestReport r = runner.run(code, GOOD_TESTS);
        assertEquals(CodeTestReport.Status.TIMEOUT, r.status(), r.toString());
        assertEquals(0.0, r.reward(RewardMode.FRACTION));
        assertTrue(System.nanoTime() - start < 15_000_000_000L, "the 4 s limit held");
        assertAllGone(token);
        assertRunnerStillWorks(runner);
    }

    @ParameterizedTest
    @MethodSource("sandboxes")
    void backgroundProcessesDoNotOutliveTheRun(IsolationMode sandbox) throws Exception {
        CodeTestRunner runner = runner(sandbox);
        String token = token();
        // A daemon (double fork, new session, signals ignored) and a plain background child, then a good answer.
        String code = "import os, signal, subprocess\n"
                + "subprocess.Popen(['sleep', '" + token + "'], start_new_session=True)\n"
                + "if os.fork() == 0:\n"
                + "    os.setsid()\n"
                + "    if os.fork() == 0:\n"
                + "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                + "        signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
                + "        os.execvp('sleep', ['sleep', '" + token + "'])\n"
                + "    os._exit(0)\n" + GOOD;
        CodeTestReport r = runner.run(code, GOOD_TESTS);
        assertEquals(CodeTestReport.Status.COMPLETED, r.status(), r.toString());
        assertAllGone(token);
        assertRunnerStillWorks(runner);
    }
}
