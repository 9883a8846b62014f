package org.align4j.reward.sandbox;

import java.time.Duration;

/**
 * How a sandboxed run ended.
 *
 * @param exitCode             the exit status of the top process; -1 when it was killed on timeout
 * @param timedOut             the wall-clock limit passed and the tree was killed
 * @param outputLimitExceeded  the run printed more than allowed and the tree was killed
 * @param output               stdout and stderr interleaved, at most the output limit
 * @param isolation            the isolation the run had
 * @param elapsed              wall-clock time of the run
 */
public record SandboxResult(int exitCode, boolean timedOut, boolean outputLimitExceeded, String output,
                            Isolation isolation, Duration elapsed) {
}
