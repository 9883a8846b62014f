package org.align4j.reward.sandbox;

import java.util.ArrayList;
import java.util.List;

/**
 * What isolation a sandbox actually provides on this host, and what it lacks, so logs and tests can
 * say it plainly instead of assuming.
 *
 * @param method       {@link IsolationMode#BWRAP} or {@link IsolationMode#UNSHARE} (private pid,
 *                     network, IPC, UTS and mount namespaces: system directories read-only, a
 *                     size-limited scratch tmpfs), or {@link IsolationMode#NONE}
 * @param separateUid  the code runs under a fresh unprivileged uid (RLIMIT_NPROC binds it, it
 *                     cannot signal the trainer or write the trainer's files, and all its processes
 *                     can be killed at once)
 * @param uidNote      why there is no separate uid, when there is none
 */
public record Isolation(IsolationMode method, boolean separateUid, String uidNote) {

    public Isolation {
        if (method == IsolationMode.AUTO) {
            throw new IllegalArgumentException("an isolation is a chosen method, not auto");
        }
    }

    /** Whether the code runs in its own namespaces (bwrap or unshare). */
    public boolean namespaces() {
        return method != IsolationMode.NONE;
    }

    /** Whether code cannot reach the network (only with namespaces). */
    public boolean network() {
        return namespaces();
    }

    /** Whether code cannot write files outside its scratch directory. */
    public boolean protectsFiles() {
        return namespaces() || separateUid;
    }

    /** Whether code cannot signal the trainer or other processes outside the sandbox. */
    public boolean protectsProcesses() {
        return namespaces() || separateUid;
    }

    /** Whether a fork bomb is capped by RLIMIT_NPROC (which does not bind root). */
    public boolean capsProcesses() {
        return separateUid || !HostSupport.get().root();
    }

    /** What is missing, in words, for the run log; empty when nothing is. */
    public List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (!namespaces()) {
            missing.add("network isolation");
            missing.add("private filesystem view");
            missing.add("pid namespace");
            missing.add("scratch size limit");
        }
        if (!separateUid && HostSupport.get().root()) {
            missing.add("separate uid (" + uidNote + "; the code runs as root without capabilities and RLIMIT_NPROC "
                    + "does not bind it" + (namespaces() ? ")" : "; it can signal and write what root owns)"));
        }
        return missing;
    }

    /** A short description, e.g. {@code bwrap+uid+rlimits}, {@code unshare+rlimits}, {@code none+uid+rlimits}. */
    public String describe() {
        return method.name().toLowerCase(java.util.Locale.ROOT) + "+" + (separateUid ? "uid+" : "") + "rlimits";
    }
}
