package org.align4j.policy.train;

import java.nio.file.Path;

/**
 * A run stopped on a {@link StopRequest} after saving a checkpoint of every completed step. The CLI prints the
 * checkpoint and the command that resumes the run, and exits with {@link #exitCode()} (130 for SIGINT, 143 for
 * SIGTERM).
 */
public final class TrainingInterruptedException extends RuntimeException {
    private final String signal;
    private final int exitCode;
    private final long step;
    private final Path checkpoint;

    public TrainingInterruptedException(String signal, int exitCode, long step, Path checkpoint) {
        super(signal + ": stopped after step " + step + (checkpoint == null ? "; nothing saved" : "; checkpoint "
                + checkpoint));
        this.signal = signal;
        this.exitCode = exitCode;
        this.step = step;
        this.checkpoint = checkpoint;
    }

    public String signal() {
        return signal;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The steps completed and saved. */
    public long step() {
        return step;
    }

    public Path checkpoint() {
        return checkpoint;
    }
}
