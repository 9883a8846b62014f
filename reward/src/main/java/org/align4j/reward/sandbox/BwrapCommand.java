package org.align4j.reward.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bubblewrap command line that wraps a sandboxed run: new pid, network, IPC and UTS namespaces;
 * a root filesystem holding only the system directories (read-only), the extra read-only paths the
 * interpreter needs, a size-limited tmpfs {@code /work} (the working directory, with the job's
 * files bound read-only into it) and a size-limited {@code /tmp}. The user's home, the repository
 * and other runs' directories are simply absent.
 */
final class BwrapCommand {

    /** The working directory inside the sandbox. */
    static final String WORK = "/work";

    private static final List<String> SYSTEM_DIRS =
            List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc");

    private BwrapCommand() {
    }

    /**
     * Everything up to and including {@code --}; the command to run follows.
     *
     * @param dropsUid whether the command will switch to an unprivileged uid itself (as root)
     */
    static List<String> prefix(HostSupport host, boolean dropsUid, Path hostDir, Collection<String> files,
                               List<Path> readOnly, SandboxLimits limits, Map<String, String> env) {
        List<String> a = new ArrayList<>();
        a.add(host.bwrap().orElseThrow().toString());
        a.addAll(List.of("--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net",
                "--unshare-uts", "--unshare-cgroup-try"));
        if (!host.root()) {
            a.add("--unshare-user");
        } else if (!dropsUid) {
            // Root inside without a uid to drop to: at least take its capabilities away (no remounting).
            a.addAll(List.of("--cap-drop", "ALL"));
        }
        List<Path> bound = new ArrayList<>();
        for (String dir : SYSTEM_DIRS) {
            Path p = Path.of(dir);
            if (Files.isSymbolicLink(p)) {
                try {
                    a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), dir));
                } catch (IOException e) {
                    // unreadable link: leave the directory out
                }
            } else if (Files.isDirectory(p)) {
                a.addAll(List.of("--ro-bind", dir, dir));
                bound.add(p);
            }
        }
        // bwrap covers /proc/sys only when the directory itself is writable, but its files are
        // writable by uid 0 even without capabilities: a read-only /proc keeps host sysctls safe.
        a.addAll(List.of("--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev"));
        String size = Long.toString(limits.scratchBytes());
        a.addAll(List.of("--perms", "1777", "--size", size, "--tmpfs", WORK));
        a.addAll(List.of("--perms", "1777", "--size", size, "--tmpfs", "/tmp"));
        for (String name : files) {
            a.addAll(List.of("--ro-bind", hostDir.resolve(name).toString(), WORK + "/" + name));
        }
        Set<Path> made = new LinkedHashSet<>();
        for (Path p : readOnly) {
            Path path = p.toAbsolutePath().normalize();
            if (!Files.exists(path) || under(path, bound)) {
                continue;
            }
            // bwrap would create missing parents as 0700, which a dropped uid cannot traverse.
            for (int i = 1; i < path.getNameCount(); i++) {
                Path ancestor = path.getRoot().resolve(path.subpath(0, i));
                if (!under(ancestor, bound) && made.add(ancestor)) {
                    a.addAll(List.of("--perms", "0755", "--dir", ancestor.toString()));
                }
            }
            a.addAll(List.of("--ro-bind", path.toString(), path.toString()));
            bound.add(path);
        }
        a.addAll(List.of("--chdir", WORK, "--clearenv"));
        env.forEach((k, v) -> a.addAll(List.of("--setenv", k, v)));
        a.add("--");
        return a;
    }

    private static boolean under(Path path, List<Path> roots) {
        return roots.stream().anyMatch(path::startsWith);
    }
}
