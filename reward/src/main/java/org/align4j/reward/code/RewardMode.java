package org.align4j.reward.code;

/** How unit-test results become a reward. */
public enum RewardMode {
    /** passed / total: partial credit, a denser signal. */
    FRACTION,
    /** 1 only when every test passed. */
    ALL
}
