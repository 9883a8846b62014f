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
 * helper tools are, and whether bubblewrap and util-linux's {@code unshare} actually work here
 * (either may be installed while user namespaces are disabled, so each is tried with a trivial
 * command rather than assumed).
 *
 * <p>The system property {@code align4j.sandbox.hide} (a comma-separated list of tool names, e.g.
 * {@code bwrap}) makes detection treat those tools as not installed: it lets tests and users try
 * the fallback on a machine that has bubblewrap.
 */
public final class HostSupport {

    private static final Supplier<HostSupport> INSTANCE = Suppliers.memoize(HostSupport::detect);

    private final boolean root;
    private final Path bwrap;
    private final Path setpriv;
    private final Path prlimit;
    private final Path setsid;
    private final Path shell;
    private final Path unshare;
    private final Path mount;
    private final Path chroot;
    private final String bwrapProblem;
    private final String unshareProblem;

    private HostSupport(boolean root, Path bwrap, Path setpriv, Path prlimit, Path setsid, Path shell,
                        Path unshare, Path mount, Path chroot, String bwrapProblem, String unshareProblem) {
        this.root = root;
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.prlimit = prlimit;
        this.setsid = setsid;
        this.shell = shell;
        this.unshare = unshare;
        this.mount = mount;
        this.chroot = chroot;
        this.bwrapProblem = bwrapProblem;
        this.unshareProblem = unshareProblem;
    }

    public static HostSupport get() {
        return INSTANCE.get();
    }

    public boolean root() {
        return root;
    }

    public boolean bwrapWorks() {
        return bwrapProblem.isEmpty();
    }

    /** Whether the util-linux fallback (namespaces through {@code unshare}, then {@code chroot}) works here. */
    public boolean unshareWorks() {
        return unshareProblem.isEmpty();
    }

    /** Why the unshare fallback cannot be used; empty when it can. */
    public String unshareProblem() {
        return unshareProblem;
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

    Optional<Path> unshare() {
        return Optional.ofNullable(unshare);
    }

    Optional<Path> mount() {
        return Optional.ofNullable(mount);
    }

    Optional<Path> chroot() {
        return Optional.ofNullable(chroot);
    }

    private static HostSupport detect() {
        String hide = System.getProperty("align4j.sandbox.hide", "");
        return detect(Set.of(hide.split("\\s*,\\s*")));
    }

    /** Detects the host as if the tools named in {@code hidden} were not installed. */
    static HostSupport detect(Set<String> hidden) {
        boolean root = ProcFs.effectiveUid() == 0;
        Path bwrap = hidden.contains("bwrap") ? null : which("bwrap");
        Path setpriv = hidden.contains("setpriv") ? null : which("setpriv");
        Path prlimit = which("prlimit");
        Path setsid = which("setsid");
        Path shell = Optional.ofNullable(which("sh")).orElse(Path.of("/bin/sh"));
        Path unshare = hidden.contains("unshare") ? null : which("unshare");
        Path mount = which("mount");
        Path chroot = which("chroot");
        HostSupport partial = new HostSupport(root, bwrap, setpriv, prlimit, setsid, shell, unshare, mount, chroot, "", "");
        String bwrapProblem = bwrap == null ? "bwrap is not installed" : tryBwrap(partial);
        String unshareProblem = unshare == null ? "unshare (util-linux) is not installed"
                : mount == null ? "mount (util-linux) is not installed"
                : chroot == null ? "chroot (coreutils) is not installed"
                : setpriv == null ? "setpriv (util-linux) is not installed"
                : tryUnshare(partial);
        return new HostSupport(root, bwrap, setpriv, prlimit, setsid, shell, unshare, mount, chroot,
                bwrapProblem, unshareProblem);
    }

    /** Runs {@code true} the way real runs are started; returns "" on success, else why it failed. */
    private static String tryBwrap(HostSupport host) {
        return probe("bwrap", dir -> {
            boolean dropsUid = host.root && host.setpriv != null;
            List<String> command = new ArrayList<>(BwrapCommand.prefix(host, dropsUid, dir, List.of(), List.of(),
                    SandboxLimits.defaults(), Map.of()));
            if (dropsUid) {
                command.addAll(LimitsCommand.dropUid(host.setpriv, 1_999_999_999));
            }
            return command;
        });
    }

    /** The same for the unshare fallback. */
    private static String tryUnshare(HostSupport host) {
        return probe("unshare", dir -> {
            Files.createDirectory(dir.resolve(UnshareCommand.ROOT_DIR));
            List<String> command = new ArrayList<>(UnshareCommand.prefix(host, dir, List.of(), List.of(),
                    SandboxLimits.defaults()));
            command.addAll(host.root ? LimitsCommand.dropUid(host.setpriv, 1_999_999_999)
                    : LimitsCommand.dropCapabilities(host.setpriv));
            return command;
        });
    }

    private interface ProbeCommand {
        List<String> build(Path dir) throws IOException;
    }

    private static String probe(String tool, ProbeCommand prefix) {
        Path trueCmd = Optional.ofNullable(which("true")).orElse(Path.of("/bin/true"));
        Path dir = null;
        try {
            dir = Files.createTempDirectory("align4j-" + tool + "-probe");
            List<String> command = new ArrayList<>(prefix.build(dir));
            command.add(trueCmd.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return tool + " did not finish a trivial command within 20 s";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? "" : tool + " failed (exit " + p.exitValue() + "): " + firstLine(out);
        } catch (IOException e) {
            return tool + " could not be started: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while trying " + tool;
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve(UnshareCommand.ROOT_DIR));
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
