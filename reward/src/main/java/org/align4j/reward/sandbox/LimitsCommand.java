package org.align4j.reward.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The command prefixes that switch to the sandbox uid and set the rlimits, in the order they must
 * run: {@code setpriv} (as root only) first, so that the limits are set by and for the new uid.
 */
final class LimitsCommand {

    private LimitsCommand() {
    }

    /** Switches to {@code uid} (also as gid) with no groups, no capabilities and no way back to privilege. */
    static List<String> dropUid(Path setpriv, int uid) {
        return List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--");
    }

    /** Stays root but without any capability (for when no other uid can be used). */
    static List<String> dropCapabilities(Path setpriv) {
        return List.of(setpriv.toString(), "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--");
    }

    /**
     * Sets the limits for the command that follows: with {@code prlimit} when installed, else with
     * bash's {@code ulimit} (the command must then be appended as arguments after the returned list).
     * Empty when neither is available.
     */
    static List<String> rlimits(HostSupport host, SandboxLimits l, int maxProcesses) {
        Optional<Path> prlimit = host.prlimit();
        if (prlimit.isPresent()) {
            return List.of(prlimit.get().toString(),
                    "--nproc=" + maxProcesses,
                    "--as=" + l.memoryBytes(),
                    "--cpu=" + l.cpuSeconds(),
                    "--fsize=" + l.maxFileBytes(),
                    "--nofile=" + l.maxOpenFiles(),
                    "--core=0",
                    "--");
        }
        Path bash = HostSupport.which("bash");
        if (bash == null) {
            return List.of();
        }
        String script = "ulimit -u " + maxProcesses + " -v " + l.memoryBytes() / 1024 + " -t " + l.cpuSeconds()
                + " -f " + Math.max(1, l.maxFileBytes() / 1024) + " -n " + l.maxOpenFiles() + " -c 0 && exec \"$@\"";
        return List.of(bash.toString(), "-c", script, "sandbox");
    }
}
