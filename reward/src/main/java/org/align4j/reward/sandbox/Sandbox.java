package org.align4j.reward.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs untrusted code: each run in a fresh temporary directory, as a separate process tree with a
 * wall-clock timeout, rlimits (CPU, address space, processes, file size, open files), and a bounded
 * output capture. The isolation around it is chosen by {@link IsolationMode}:
 *
 * <ul>
 *   <li>bubblewrap, when it works here: private pid/network/IPC/UTS namespaces and a filesystem
 *       view with only system directories (read-only) and a size-limited scratch tmpfs. Killing
 *       bwrap ends the pid namespace, and with it every process the code started.</li>
 *   <li>else util-linux's {@code unshare} (see {@link UnshareCommand}): the same namespaces and
 *       the same read-only view, built with bind mounts and a chroot; as root directly, otherwise
 *       in a user namespace.</li>
 *   <li>where neither works, {@link IsolationMode#AUTO} refuses with the fix; only an explicit
 *       {@link IsolationMode#NONE} runs the code without namespaces (with a warning).</li>
 * </ul>
 * As root the code also runs under a fresh random uid (via {@code setpriv}), because RLIMIT_NPROC
 * does not bind root; the uid owns nothing and lets the whole tree be killed at once by
 * {@code kill(-1)} issued as that uid. Where no uid can be used the code runs without capabilities
 * (it cannot undo the mounts or leave the chroot). Instances are thread-safe; runs may go in parallel.
 */
public final class Sandbox {

    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Sandbox uids are drawn from here: far above any real account and the usual subuid ranges. */
    private static final int UID_BASE = 1_900_000_000;
    private static final int UID_SPAN = 100_000_000;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);

    private final HostSupport host;
    private final IsolationMode method;
    private final boolean dropUid;
    private final SandboxLimits limits;
    private final Isolation isolation;

    private Sandbox(HostSupport host, IsolationMode method, boolean dropUid, String uidNote, SandboxLimits limits) {
        this.host = host;
        this.method = method;
        this.dropUid = dropUid;
        this.limits = limits;
        this.isolation = new Isolation(method, dropUid, uidNote);
    }

    /**
     * A sandbox of the isolation {@code mode} asks for on this host, checked by running
     * {@code probe} (a trivial program of the interpreter that real runs will use). When the probe
     * fails only under a separate uid, runs go without one (and without capabilities) and the log
     * says so; when it fails either way the interpreter cannot run sandboxed and this throws with
     * the probe's output.
     *
     * @throws IllegalStateException when the requested isolation does not work here, or with
     *                               {@link IsolationMode#AUTO} when none does: a one-line message naming the fix
     */
    public static Sandbox create(IsolationMode mode, SandboxLimits limits, SandboxJob probe) {
        return create(HostSupport.get(), mode, limits, probe);
    }

    static Sandbox create(HostSupport host, IsolationMode mode, SandboxLimits limits, SandboxJob probe) {
        IsolationMode method = choose(mode, host);
        boolean canDrop = host.root() && host.setpriv().isPresent();
        String uidNote = !host.root() ? "not running as root" : canDrop ? "" : "setpriv is not installed";
        Sandbox sandbox = new Sandbox(host, method, canDrop, uidNote, limits);
        // The probe may start slowly on a loaded machine: it gets at least 30 s whatever the runs' limit.
        SandboxLimits probeLimits = limits.timeout().compareTo(PROBE_TIMEOUT) >= 0 ? limits : limits.withTimeout(PROBE_TIMEOUT);
        SandboxResult probed = sandbox.run(probe, probeLimits);
        if (!succeeded(probed) && canDrop) {
            String why = firstLine(probed.output());
            Sandbox withoutUid = new Sandbox(host, method, false, "the interpreter cannot run as an unprivileged uid (exit "
                    + probed.exitCode() + (why.isEmpty() ? "" : ": " + why) + ")", limits);
            SandboxResult second = withoutUid.run(probe, probeLimits);
            if (succeeded(second)) {
                sandbox = withoutUid;
                probed = second;
            }
        }
        if (!succeeded(probed)) {
            throw new IllegalStateException("the sandbox cannot run " + String.join(" ", probe.command())
                    + " (" + sandbox.isolation.describe() + "): "
                    + (probed.timedOut() ? "timed out" : "exit " + probed.exitCode() + ": " + firstLine(probed.output())));
        }
        List<String> missing = new ArrayList<>(sandbox.isolation.missing());
        if (method == IsolationMode.NONE) {
            LOG.warn("code sandbox: none (requested): untrusted code runs WITHOUT isolation ({}); missing: {}",
                    sandbox.isolation.describe(), String.join(", ", missing));
        } else if (missing.isEmpty()) {
            LOG.info("code sandbox: {}", sandbox.isolation.describe());
        } else {
            LOG.warn("code sandbox: {}; missing: {}", sandbox.isolation.describe(), String.join(", ", missing));
        }
        return sandbox;
    }

    /** The isolation {@code requested} resolves to on {@code host}; throws (one line, naming the fix) when it cannot be had. */
    static IsolationMode choose(IsolationMode requested, HostSupport host) {
        String enableUserns = "enable user namespaces (sysctl -w user.max_user_namespaces=15000, and "
                + "kernel.unprivileged_userns_clone=1 where that exists)";
        switch (requested) {
            case BWRAP:
                if (!host.bwrapWorks()) {
                    throw new IllegalStateException("sandbox 'bwrap' requested but bwrap is not usable here: "
                            + host.bwrapProblem() + " (fix: apt-get install bubblewrap" + (host.root() ? "" : ", " + enableUserns) + ")");
                }
                return IsolationMode.BWRAP;
            case UNSHARE:
                if (!host.unshareWorks()) {
                    throw new IllegalStateException("sandbox 'unshare' requested but it does not work here: "
                            + host.unshareProblem() + " (fix: " + (host.root() ? "apt-get install util-linux coreutils" : enableUserns) + ")");
                }
                return IsolationMode.UNSHARE;
            case NONE:
                return IsolationMode.NONE;
            default:
                if (host.bwrapWorks()) {
                    return IsolationMode.BWRAP;
                }
                if (host.unshareWorks()) {
                    return IsolationMode.UNSHARE;
                }
                throw new IllegalStateException("no sandbox for untrusted code works on this host (bwrap: " + host.bwrapProblem()
                        + "; unshare: " + host.unshareProblem() + "): apt-get install bubblewrap, or " + enableUserns
                        + ", or run it unisolated with 'sandbox: none' / '--sandbox none'");
        }
    }

    private static boolean succeeded(SandboxResult r) {
        return r.exitCode() == 0 && !r.timedOut() && !r.outputLimitExceeded();
    }

    public Isolation isolation() {
        return isolation;
    }

    public SandboxLimits limits() {
        return limits;
    }

    /** Runs {@code job} in a fresh directory, which is deleted afterwards. */
    public SandboxResult run(SandboxJob job) {
        return run(job, limits);
    }

    /**
     * Runs {@code job} as {@link #run(SandboxJob)} does, under this sandbox's limits but another wall-clock
     * timeout (and the CPU limit that follows it): for a job that runs many pieces of code one after another.
     */
    public SandboxResult run(SandboxJob job, java.time.Duration timeout, long maxOutputBytes) {
        return run(job, limits.withTimeout(timeout).withMaxOutputBytes(Math.max(maxOutputBytes, limits.maxOutputBytes())));
    }

    private SandboxResult run(SandboxJob job, SandboxLimits limits) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("align4j-sandbox-");
            for (Map.Entry<String, String> f : job.files().entrySet()) {
                Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
            }
            int uid = dropUid ? UID_BASE + RANDOM.nextInt(UID_SPAN) : -1;
            return execute(job, dir, uid, limits);
        } catch (IOException e) {
            throw new IllegalStateException("sandbox run failed to start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running sandboxed code", e);
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    private SandboxResult execute(SandboxJob job, Path dir, int uid, SandboxLimits limits)
            throws IOException, InterruptedException {
        boolean useBwrap = method == IsolationMode.BWRAP;
        boolean unshare = method == IsolationMode.UNSHARE;
        String work = useBwrap ? BwrapCommand.WORK : unshare ? UnshareCommand.WORK : dir.toString();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", work);
        env.put("TMPDIR", method == IsolationMode.NONE ? work : "/tmp");
        env.put("LANG", "C.UTF-8");
        env.putAll(job.env());

        List<String> command = new ArrayList<>();
        if (useBwrap) {
            command.addAll(BwrapCommand.prefix(host, uid >= 0, dir, job.files().keySet(), job.readOnlyPaths(), limits, env));
        } else {
            host.setsid().ifPresent(p -> command.add(p.toString()));
        }
        if (unshare) {
            Files.createDirectory(dir.resolve(UnshareCommand.ROOT_DIR));
            command.addAll(UnshareCommand.prefix(host, dir, job.files().keySet(), job.readOnlyPaths(), limits));
        }
        if (uid < 0 && host.setpriv().isPresent() && (unshare || (host.root() && !useBwrap))) {
            // Root (or root of a user namespace) without a uid of its own: at least without
            // capabilities, so it can neither undo the mounts nor leave the chroot (bwrap drops them itself).
            command.addAll(LimitsCommand.dropCapabilities(host.setpriv().get()));
        }
        if (uid >= 0) {
            command.addAll(LimitsCommand.dropUid(host.setpriv().orElseThrow(), uid));
            if (method == IsolationMode.NONE) {
                // The uid works in this directory and nowhere else (it owns nothing else).
                Files.setAttribute(dir, "unix:uid", uid);
                Files.setAttribute(dir, "unix:gid", uid);
            }
        }
        command.addAll(LimitsCommand.rlimits(host, limits, processLimit(uid, limits)));
        command.addAll(job.command());

        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        if (!useBwrap) {
            pb.directory(dir.toFile());
            pb.environment().putAll(env);
        }
        long start = System.nanoTime();
        Process process = pb.start();
        // Kill through the handle: Process.destroyForcibly also closes our end of the output pipe
        // and would drop output not read yet.
        ProcessHandle handle = process.toHandle();
        OutputCapture output = new OutputCapture(process.getInputStream(), limits.maxOutputBytes(), handle::destroyForcibly);
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(job.stdin().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the code exited (or closed stdin) before reading it: its problem, not ours
        }
        boolean finished = process.waitFor(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
        killTree(process, uid);
        if (!output.await(2_000)) {
            LOG.warn("sandbox output still open after the run's processes were killed; abandoning it");
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        boolean exceeded = output.exceeded();
        int exit = finished ? process.exitValue() : -1;
        return new SandboxResult(exit, !finished && !exceeded, exceeded, output.text(), isolation, elapsed);
    }

    /**
     * RLIMIT_NPROC counts every task of the real uid, host-wide. A fresh uid starts at zero; our own
     * uid (not root) already has the trainer's threads, so the allowance goes on top of them.
     */
    private int processLimit(int uid, SandboxLimits limits) {
        if (uid >= 0 || host.root()) {
            return limits.maxProcesses();
        }
        return ProcFs.tasksOfUid(ProcFs.effectiveUid()) + limits.maxProcesses();
    }

    /** Kills the run's process tree, wherever its members went, and checks that none is left. */
    private void killTree(Process process, int uid) throws InterruptedException {
        process.toHandle().destroyForcibly(); // under bwrap and unshare this ends the pid namespace and all in it
        process.waitFor(5, TimeUnit.SECONDS);
        if (uid >= 0) {
            killUid(uid);
        }
        if (method != IsolationMode.BWRAP) {
            killSession(process.pid()); // under unshare the namespace has ended with its pid 1 already
        }
    }

    private void killUid(int uid) throws InterruptedException {
        List<String> command = new ArrayList<>(LimitsCommand.dropUid(host.setpriv().orElseThrow(), uid));
        // kill(-1) as the uid signals every process of that uid at once, so a fork loop cannot outrun it.
        command.addAll(List.of(host.shell().toString(), "-c", "kill -9 -1"));
        try {
            Process killer = new ProcessBuilder(command).redirectErrorStream(true).start();
            killer.getOutputStream().close();
            killer.getInputStream().readAllBytes();
            killer.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOG.warn("could not start the kill for sandbox uid {}: {}", uid, e.getMessage());
        }
        for (int round = 0; round < 100; round++) {
            List<Long> left = ProcFs.pidsWithUid(uid);
            if (left.isEmpty()) {
                return;
            }
            left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            Thread.sleep(20);
        }
        LOG.error("sandbox uid {} still has processes after killing: {}", uid, ProcFs.pidsWithUid(uid));
    }

    private static void killSession(long sid) throws InterruptedException {
        for (int round = 0; round < 200; round++) {
            List<Long> members = ProcFs.pidsInSession(sid);
            if (members.isEmpty()) {
                return;
            }
            members.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            Thread.sleep(10);
        }
        LOG.error("sandbox session {} still has processes after killing: {}", sid, ProcFs.pidsInSession(sid));
    }

    private static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    try {
                        // the code may have made its directories unreadable to stop the cleanup
                        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
                    } catch (IOException | UnsupportedOperationException ignored) {
                        // deletion below reports what could not be removed
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("could not delete sandbox directory {}: {}", dir, e.getMessage());
        }
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
