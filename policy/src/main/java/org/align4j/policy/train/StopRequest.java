package org.align4j.policy.train;

import java.util.Optional;

/**
 * A request to stop training cleanly (Ctrl-C, {@code kill}): the {@link TrainingLoop} checks it after each step,
 * saves a checkpoint of the steps done and ends the run with a {@link TrainingInterruptedException}. The CLI
 * installs {@link #installSignalHandlers() handlers} for SIGINT and SIGTERM that file the request; a second signal
 * while the first is being handled exits at once. Tests file one with {@link #request}.
 */
public final class StopRequest {
    /** Which signal asked, and the exit status that reports it (128 + the signal's number). */
    public record Stop(String signal, int exitCode) {
    }

    private static volatile Stop pending;

    private StopRequest() {
    }

    /** Files a stop request; the loop acts on it after the step in progress. */
    public static void request(String signal, int exitCode) {
        pending = new Stop(signal, exitCode);
    }

    /** The request filed and not yet acted on. */
    public static Optional<Stop> pending() {
        return Optional.ofNullable(pending);
    }

    /** Forgets a filed request (the loop calls it when it has acted on one). */
    public static void clear() {
        pending = null;
    }

    /**
     * Routes SIGINT (exit 130) and SIGTERM (exit 143) to {@link #request}, so that a training run saves and says how
     * to resume; a second signal before the first is acted on exits the JVM at once with the same status.
     * Where the JVM does not offer signal handling, the default behaviour (exit at once) stays.
     */
    public static void installSignalHandlers() {
        install("INT", 130);
        install("TERM", 143);
    }

    @SuppressWarnings("removal")
    private static void install(String name, int exitCode) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                if (pending != null) {
                    Runtime.getRuntime().halt(pending.exitCode());
                }
                System.err.println();
                System.err.println("align4j: SIG" + name + ": stopping after the current step (again to stop now)");
                request("SIG" + name, exitCode);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // no signal handling on this JVM: keep the default
        }
    }
}
