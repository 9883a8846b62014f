package org.align4j.reward.sandbox;

/** Which isolation a sandbox should use. */
public enum IsolationMode {
    /** bubblewrap when it works on this host, else process limits. */
    AUTO,
    /** bubblewrap namespaces plus process limits; fails when bwrap does not work here. */
    BWRAP,
    /** process limits only (rlimits, a separate uid when running as root, tree kill). */
    LIMITS
}
