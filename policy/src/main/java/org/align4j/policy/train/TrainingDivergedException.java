package org.align4j.policy.train;

/**
 * A run stopped by the {@link DivergenceGuard}: the message is one line naming the step, the quantity and the last
 * good checkpoint. The CLI exits with {@link #EXIT_CODE}.
 */
public final class TrainingDivergedException extends RuntimeException {
    /** The CLI's exit status for a diverged run (2 is bad input). */
    public static final int EXIT_CODE = 3;

    private final long step;

    public TrainingDivergedException(long step, String message) {
        super(message);
        this.step = step;
    }

    /** The step (1-based, as logged) at which the run diverged. */
    public long step() {
        return step;
    }
}
