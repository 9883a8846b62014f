package org.align4j.reward.code;

import java.util.List;
import org.align4j.reward.sandbox.SandboxJob;

/** How to run one language's code against its tests in a sandbox: the files, the command, the probe. */
interface TestHarness {

    /** A job that runs {@code code}, then each test separately, reporting results tagged with {@code nonce}. */
    SandboxJob job(String code, List<String> tests, String nonce);

    /** A trivial job proving the interpreter runs inside the sandbox. */
    SandboxJob probe();

    /** Whether the output says the code did not compile. */
    default boolean compileFailed(String output) {
        return false;
    }
}
