package org.align4j.reward.sandbox;

/** Which sandbox to run untrusted code in (config key {@code sandbox}, CLI option {@code --sandbox}). */
public enum IsolationMode {
    /** bubblewrap when it works on this host, else {@link #UNSHARE}; refuses when neither works. */
    AUTO,
    /** bubblewrap namespaces plus process limits; fails when bwrap does not work here. */
    BWRAP,
    /**
     * namespaces through util-linux's {@code unshare} (as root, or in a user namespace) with a
     * read-only chroot, plus process limits; fails when the kernel does not allow it.
     */
    UNSHARE,
    /**
     * no isolation, only process limits (a separate uid when root, rlimits, tree kill): the code
     * can reach the network and whatever the uid it runs as can. Only on explicit request.
     */
    NONE
}
