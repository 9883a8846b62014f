package org.align4j.reward.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SandboxTest {

    private static final SandboxJob TRUE = sh("true");

    private static SandboxJob sh(String script) {
        return new SandboxJob(Map.of(), List.of("/bin/sh", "-c", script), "", List.of(), Map.of());
    }

    private static Sandbox sandbox(IsolationMode mode, SandboxLimits limits) {
        return Sandbox.create(mode, limits, TRUE);
    }

    @Test
    void outputIsCutAtTheLimitAndTheRunKilled() {
        Sandbox s = sandbox(IsolationMode.AUTO, SandboxLimits.defaults().withMaxOutputBytes(10_000));
        SandboxResult r = s.run(sh("while true; do echo 0123456789; done"));
        assertTrue(r.outputLimitExceeded());
        assertFalse(r.timedOut());
        assertEquals(10_000, r.output().length());
    }

    @Test
    void filesAndStdinReachTheCommand() {
        Sandbox s = sandbox(IsolationMode.AUTO, SandboxLimits.defaults());
        SandboxJob job = new SandboxJob(Map.of("data.txt", "from a file"), List.of("/bin/sh", "-c", "cat data.txt; echo; cat"),
                "from stdin", List.of(), Map.of());
        SandboxResult r = s.run(job);
        assertEquals(0, r.exitCode());
        assertEquals("from a file\nfrom stdin", r.output());
    }

    @Test
    void theEnvironmentIsMinimal() {
        Sandbox s = sandbox(IsolationMode.AUTO, SandboxLimits.defaults());
        String env = s.run(sh("env")).output();
        Set<String> allowed = Set.of("PATH", "HOME", "TMPDIR", "LANG", "PWD", "SHLVL", "_", "OLDPWD");
        for (String key : System.getenv().keySet()) {
            if (!allowed.contains(key)) {
                assertFalse(env.contains(key + "="), "the trainer's " + key + " leaked into the sandbox");
            }
        }
        assertTrue(env.contains("PATH=/usr/local/bin:/usr/bin:/bin"), env);
    }

    private static void assumeWorks(IsolationMode mode) {
        HostSupport host = HostSupport.get();
        assumeTrue(mode != IsolationMode.BWRAP || host.bwrapWorks(), "bwrap is not usable here: " + host.bwrapProblem());
        assumeTrue(mode != IsolationMode.UNSHARE || host.unshareWorks(), "unshare is not usable here: " + host.unshareProblem());
    }

    @ParameterizedTest
    @EnumSource(value = IsolationMode.class, names = {"BWRAP", "UNSHARE"})
    void theTrainersFilesAreNotThereAndTheSystemIsReadOnly(IsolationMode mode) {
        assumeWorks(mode);
        Sandbox s = sandbox(mode, SandboxLimits.defaults());
        String repository = Path.of("").toAbsolutePath().toString();
        SandboxResult r = s.run(sh("ls " + repository + " 2>&1; ls -A " + System.getProperty("user.home") + " 2>&1; "
                + "echo written > /usr/x 2>&1; echo written > /etc/x 2>&1; echo written > /x 2>&1; true"));
        assertFalse(r.output().contains("pom.xml"), r.output());
        assertTrue(r.output().contains("No such file") || r.output().contains("cannot"), r.output());
        assertFalse(Files.exists(Path.of("/usr/x")) || Files.exists(Path.of("/etc/x")) || Files.exists(Path.of("/x")), r.output());
        assertTrue(s.isolation().network() && s.isolation().protectsFiles() && s.isolation().protectsProcesses());
        assertEquals(mode, s.isolation().method());
    }

    @ParameterizedTest
    @EnumSource(value = IsolationMode.class, names = {"BWRAP", "UNSHARE"})
    void theNetworkIsOnlyADownLoopbackAndThePidNamespaceIsPrivate(IsolationMode mode) {
        assumeWorks(mode);
        Sandbox s = sandbox(mode, SandboxLimits.defaults());
        SandboxResult r = s.run(sh("cat /proc/net/dev; echo PIDS; ls /proc | grep -c '^[0-9]'; echo SCRATCH; "
                + "echo ok > scratch && cat scratch; echo x > /tmp/t && cat /tmp/t"));
        String[] parts = r.output().split("PIDS\n|SCRATCH\n");
        List<String> interfaces = parts[0].lines().skip(2).map(l -> l.strip().split(":")[0]).toList();
        assertEquals(List.of("lo"), interfaces, r.output());
        assertTrue(Integer.parseInt(parts[1].strip()) < 10, "few processes are visible: " + r.output());
        assertEquals("ok\nx\n", parts[2], r.output());
    }

    @Test
    void noneModeSaysWhatIsMissing() {
        Sandbox s = sandbox(IsolationMode.NONE, SandboxLimits.defaults());
        assertFalse(s.isolation().namespaces());
        assertTrue(s.isolation().missing().contains("network isolation"));
        assertTrue(s.isolation().missing().contains("private filesystem view"));
        assertEquals(HostSupport.get().root() && !s.isolation().separateUid(),
                s.isolation().missing().stream().anyMatch(m -> m.startsWith("separate uid")));
    }

    @Test
    void bwrapIsDetectedOnceAndRequestingItFailsClearlyWhenItDoesNotWork() {
        assertSame(HostSupport.get(), HostSupport.get());
        if (HostSupport.get().bwrapWorks()) {
            assertTrue(sandbox(IsolationMode.BWRAP, SandboxLimits.defaults()).isolation().namespaces());
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> sandbox(IsolationMode.BWRAP, SandboxLimits.defaults()));
            assertTrue(e.getMessage().contains("bwrap"), e.getMessage());
        }
    }

    @Test
    void rootThatCannotUseAnotherUidRunsWithoutCapabilitiesAndCannotWriteSysctls() {
        assumeTrue(HostSupport.get().root(), "only root switches uids");
        // A probe that only works as root makes the sandbox fall back to running as root.
        SandboxJob onlyAsRoot = sh("test \"$(id -u)\" = 0");
        for (IsolationMode mode : List.of(IsolationMode.BWRAP, IsolationMode.UNSHARE, IsolationMode.NONE)) {
            if ((mode == IsolationMode.BWRAP && !HostSupport.get().bwrapWorks())
                    || (mode == IsolationMode.UNSHARE && !HostSupport.get().unshareWorks())) {
                continue;
            }
            Sandbox s = Sandbox.create(mode, SandboxLimits.defaults(), onlyAsRoot);
            assertFalse(s.isolation().separateUid());
            assertTrue(s.isolation().missing().stream().anyMatch(m -> m.startsWith("separate uid")));
            String status = s.run(sh("grep CapEff /proc/self/status")).output();
            assertTrue(status.matches("CapEff:\\s+0+\\s*"), mode + ": " + status);
            if (mode != IsolationMode.NONE) {
                // Writes the value it read, so the host is unchanged even if the write went through.
                SandboxResult r = s.run(sh("v=$(cat /proc/sys/kernel/printk); echo \"$v\" > /proc/sys/kernel/printk && echo WROTE"));
                assertFalse(r.output().contains("WROTE"), r.output());
            }
        }
    }

    @Test
    void autoPicksBwrapThenUnshareAndElseRefusesNamingTheFix() {
        HostSupport all = HostSupport.get();
        if (all.bwrapWorks()) {
            assertEquals(IsolationMode.BWRAP, Sandbox.choose(IsolationMode.AUTO, all));
        }
        HostSupport noBwrap = HostSupport.detect(Set.of("bwrap"));
        assertFalse(noBwrap.bwrapWorks());
        assertEquals("bwrap is not installed", noBwrap.bwrapProblem());
        if (noBwrap.unshareWorks()) {
            assertEquals(IsolationMode.UNSHARE, Sandbox.choose(IsolationMode.AUTO, noBwrap));
            Sandbox s = Sandbox.create(noBwrap, IsolationMode.AUTO, SandboxLimits.defaults(), TRUE);
            assertEquals(IsolationMode.UNSHARE, s.isolation().method());
            assertEquals(0, s.run(TRUE).exitCode());
        }
        IllegalStateException bwrap = assertThrows(IllegalStateException.class, () -> Sandbox.choose(IsolationMode.BWRAP, noBwrap));
        assertTrue(bwrap.getMessage().contains("apt-get install bubblewrap"), bwrap.getMessage());

        HostSupport nothing = HostSupport.detect(Set.of("bwrap", "unshare"));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Sandbox.choose(IsolationMode.AUTO, nothing));
        String m = refused.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains("apt-get install bubblewrap") && m.contains("user namespaces") && m.contains("sandbox: none"), m);
        assertThrows(IllegalStateException.class, () -> Sandbox.create(nothing, IsolationMode.AUTO, SandboxLimits.defaults(), TRUE));
        // none is always possible, on request
        assertEquals(IsolationMode.NONE, Sandbox.choose(IsolationMode.NONE, nothing));
        assertEquals(IsolationMode.NONE, Sandbox.create(nothing, IsolationMode.NONE, SandboxLimits.defaults(), TRUE).isolation().method());
    }

    @Test
    void anInterpreterThatCannotRunFailsWithTheReason() {
        SandboxJob probe = new SandboxJob(Map.of(), List.of("/nonexistent/interpreter", "-c", "pass"), "", List.of(), Map.of());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Sandbox.create(IsolationMode.AUTO, SandboxLimits.defaults(), probe));
        assertTrue(e.getMessage().contains("/nonexistent/interpreter"), e.getMessage());
    }
}
