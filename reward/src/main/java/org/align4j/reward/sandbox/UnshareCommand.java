package org.align4j.reward.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The isolation for hosts without bubblewrap, built from util-linux: {@code unshare} makes new
 * network (only a down loopback), mount, pid, IPC and UTS namespaces (and, when not root, a user
 * namespace mapping us to root inside it); a short shell script then builds, inside the private
 * mount namespace, a root that holds only the system directories and the interpreter (read-only
 * bind mounts), size-limited tmpfs {@code /work} (the job's files copied in) and {@code /tmp},
 * a read-only {@code /proc} of the new pid namespace and a few device nodes, and {@code chroot}s
 * into it. Everything mounted there vanishes with the namespace.
 *
 * <p>The setup shell stays pid 1 of the namespace and runs the command as its child: when the
 * command exits, the shell exits, and when {@code unshare} is killed ({@code --kill-child}) so
 * is the shell; either way the kernel kills every process left in the namespace.
 * The caller must put a uid switch or a capability drop first in that command, so that the code
 * can neither undo the mounts nor leave the chroot.
 */
final class UnshareCommand {

    /** The working directory inside the sandbox. */
    static final String WORK = "/work";
    /** The mount point of the new root, a subdirectory of the run's directory (job files cannot start with '.'). */
    static final String ROOT_DIR = ".root";

    private static final List<String> SYSTEM_DIRS =
            List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc");
    private static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom");

    private UnshareCommand() {
    }

    /**
     * Everything before the command to run.
     *
     * @param hostDir the run's directory: holds the job's files and the empty {@link #ROOT_DIR}
     */
    static List<String> prefix(HostSupport host, Path hostDir, Collection<String> files, List<Path> readOnly,
                               SandboxLimits limits) {
        List<String> a = new ArrayList<>();
        a.add(host.unshare().orElseThrow().toString());
        if (!host.root()) {
            a.addAll(List.of("--user", "--map-root-user"));
        }
        a.addAll(List.of("--net", "--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc",
                "--propagation", "private", "--", host.shell().toString(), "-c",
                script(host, hostDir, files, readOnly, limits), "align4j-sandbox"));
        return a;
    }

    private static String script(HostSupport host, Path hostDir, Collection<String> files, List<Path> readOnly,
                                 SandboxLimits limits) {
        String mount = q(host.mount().orElseThrow().toString());
        StringBuilder s = new StringBuilder();
        s.append("set -e; umask 022\n");
        s.append("R=").append(q(hostDir.resolve(ROOT_DIR).toString())).append('\n');
        s.append(mount).append(" -t tmpfs -o size=1m,mode=0755 align4j \"$R\"\n");
        s.append("ro() { ").append(mount).append(" --bind \"$1\" \"$R$1\"; ")
                .append(mount).append(" -o remount,bind,ro,nosuid,nodev \"$R$1\"; }\n");
        List<Path> bound = new ArrayList<>();
        for (String dir : SYSTEM_DIRS) {
            Path p = Path.of(dir);
            if (Files.isSymbolicLink(p)) {
                try {
                    s.append("ln -s ").append(q(Files.readSymbolicLink(p).toString())).append(" \"$R\"").append(q(dir)).append('\n');
                } catch (java.io.IOException e) {
                    // unreadable link: leave the directory out
                }
            } else if (Files.isDirectory(p)) {
                s.append("mkdir \"$R\"").append(q(dir)).append("; ro ").append(q(dir)).append('\n');
                bound.add(p);
            }
        }
        // Parents first, so that a path inside one already bound is skipped.
        List<Path> wanted = readOnly.stream().map(p -> p.toAbsolutePath().normalize())
                .sorted(java.util.Comparator.comparingInt(Path::getNameCount)).toList();
        for (Path path : wanted) {
            if (!Files.exists(path) || bound.stream().anyMatch(path::startsWith)) {
                continue;
            }
            // Parents are made in the new root (mode 0755), so a dropped uid can reach an
            // interpreter even under /root, while nothing else of /root is there.
            if (Files.isDirectory(path)) {
                s.append("mkdir -p \"$R\"").append(q(path.toString()));
            } else {
                s.append("mkdir -p \"$R\"").append(q(path.getParent().toString()))
                        .append("; : > \"$R\"").append(q(path.toString()));
            }
            s.append("; ro ").append(q(path.toString())).append('\n');
            bound.add(path);
        }
        String size = Long.toString(limits.scratchBytes());
        s.append("mkdir \"$R/proc\" \"$R/dev\" \"$R/tmp\" \"$R").append(WORK).append("\"\n");
        s.append(mount).append(" -t proc -o ro,nosuid,nodev,noexec proc \"$R/proc\"\n");
        for (String d : DEVICES) {
            s.append(": > \"$R/dev/").append(d).append("\"; ").append(mount).append(" --bind /dev/").append(d)
                    .append(" \"$R/dev/").append(d).append("\"\n");
        }
        s.append("ln -s /proc/self/fd \"$R/dev/fd\"; ln -s /proc/self/fd/0 \"$R/dev/stdin\"; ")
                .append("ln -s /proc/self/fd/1 \"$R/dev/stdout\"; ln -s /proc/self/fd/2 \"$R/dev/stderr\"\n");
        for (String dir : List.of("/tmp", WORK)) {
            s.append(mount).append(" -t tmpfs -o size=").append(size).append(",mode=1777,nosuid,nodev align4j \"$R")
                    .append(dir).append("\"\n");
        }
        for (String name : files) {
            s.append("cp ").append(q(hostDir.resolve(name).toString())).append(" \"$R").append(WORK).append("/\"\n");
        }
        s.append(mount).append(" -o remount,bind,ro \"$R\"\n");
        s.append("cd /\n");
        // Not exec'd: this shell stays pid 1 (root, unsignallable from inside), as bwrap's init does,
        // so the code's parent is not itself; when the shell exits the namespace ends.
        s.append(q(host.chroot().orElseThrow().toString()))
                .append(" \"$R\" /bin/sh -c 'cd ").append(WORK).append(" && exec \"$@\"' align4j-sandbox \"$@\"\n");
        return s.toString();
    }

    /** Single-quotes {@code s} for the shell. */
    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
