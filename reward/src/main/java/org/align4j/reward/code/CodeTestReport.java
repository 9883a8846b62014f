package org.align4j.reward.code;

import java.io.Serializable;
import java.util.List;

/**
 * The result of running a completion's code against its tests.
 *
 * @param results    one entry per test, in test order
 * @param status     how the run ended
 * @param isolation  the sandbox isolation it ran under ({@code bwrap+uid+rlimits}, ...)
 * @param log        the tail of the run's output, for diagnosis
 */
public record CodeTestReport(List<TestResult> results, Status status, String isolation, String log)
        implements Serializable {
    private static final long serialVersionUID = 1L;


    /** How a run ended. */
    public enum Status {
        /** the harness ran every test */
        COMPLETED,
        /** the code did not compile (Java) */
        COMPILE_ERROR,
        /** the wall-clock limit passed; tests not reported by then failed */
        TIMEOUT,
        /** the code printed more than the output limit */
        OUTPUT_LIMIT,
        /** the process died before the harness finished (exit, signal, memory) */
        CRASHED
    }

    public CodeTestReport {
        results = List.copyOf(results);
    }

    public int passed() {
        return (int) results.stream().filter(TestResult::passed).count();
    }

    public int total() {
        return results.size();
    }

    /** The reward: the fraction of tests passed, or 1/0 for all-or-nothing; 0 when there are no tests. */
    public double reward(RewardMode mode) {
        if (results.isEmpty()) {
            return 0.0;
        }
        return switch (mode) {
            case FRACTION -> (double) passed() / total();
            case ALL -> passed() == total() ? 1.0 : 0.0;
        };
    }
}
