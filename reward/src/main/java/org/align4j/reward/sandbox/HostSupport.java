package org.align4j.reward.sandbox;

import com.google.common.base.Suppliers;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What this host offers for sandboxing, detected once per JVM: whether we run as root, where the
 * helper tools are, and whether bubblewrap actually works here (it may be installed while user
 * namespaces are disabled, so it is tried with a trivial command rather than assumed).
 */
public final class HostSupport {

    private static final Supplier<HostSupport> INSTANCE = Suppliers.memoize(HostSupport::detect);

    private final boolean root;
    private final Path bwrap;
    private final Path setpriv;
    private final Path prlimit;
    private final Path setsid;
    private final Path shell;
    private final boolean bwrapWorks;
    private final String bwrapProblem;

    private HostSupport(boolean root, Path bwrap, Path setpriv, Path prlimit, Path setsid, Path shell,
                        boolean bwrapWorks, String bwrapProblem) {
        this.root = root;
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.prlimit = prlimit;
        this.setsid = setsid;
        this.shell = shell;
        this.bwrapWorks = bwrapWorks;
        this.bwrapProblem = bwrapProblem;
    }

    public static HostSupport get() {
        return INSTANCE.get();
    }

    public boolean root() {
        return root;
    }

    public boolean bwrapWorks() {
        return bwrapWorks;
    }

    /** Why bwrap cannot be used; empty when it can. */
    public String bwrapProblem() {
        return bwrapProblem;
    }

    Optional<Path> bwrap() {
        return Optional.ofNullable(bwrap);
    }

    Optional<Path> setpriv() {
        return Optional.ofNullable(setpriv);
    }

    Optional<Path> prlimit() {
        return Optional.ofNullable(prlimit);
    }

    Optional<Path> setsid() {
        return Optional.ofNullable(setsid);
    }

    Path shell() {
        return shell;
    }

    private static HostSupport detect() {
        boolean root = ProcFs.effectiveUid() == 0;
        Path bwrap = which("bwrap");
        Path setpriv = which("setpriv");
        Path prlimit = which("prlimit");
        Path setsid = which("setsid");
        Path shell = Optional.ofNullable(which("sh")).orElse(Path.of("/bin/sh"));
        HostSupport partial = new HostSupport(root, bwrap, setpriv, prlimit, setsid, shell, false, "");
        if (bwrap == null) {
            return new HostSupport(root, null, setpriv, prlimit, setsid, shell, false, "bwrap is not installed");
        }
        String problem = tryBwrap(partial);
        return new HostSupport(root, bwrap, setpriv, prlimit, setsid, shell, problem.isEmpty(), problem);
    }

    /** Runs {@code true} the way real runs are started; returns "" on success, else why it failed. */
    private static String tryBwrap(HostSupport host) {
        Path trueCmd = Optional.ofNullable(which("true")).orElse(Path.of("/bin/true"));
        Path dir = null;
        try {
            dir = Files.createTempDirectory("align4j-bwrap-probe");
            boolean dropsUid = host.root && host.setpriv != null;
            List<String> command = new ArrayList<>(BwrapCommand.prefix(host, dropsUid, dir, List.of(), List.of(),
                    SandboxLimits.defaults(), Map.of()));
            if (dropsUid) {
                command.addAll(LimitsCommand.dropUid(host.setpriv, 1_999_999_999));
            }
            command.add(trueCmd.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "bwrap did not finish a trivial command within 20 s";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? "" : "bwrap failed (exit " + p.exitValue() + "): " + firstLine(out);
        } catch (IOException e) {
            return "bwrap could not be started: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while trying bwrap";
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // an empty probe directory in the temp dir is harmless
                }
            }
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The first executable named {@code name} on PATH or in the usual system directories. */
    static Path which(String name) {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        return null;
    }
}
