package org.align4j.policy.train;

/**
 * A step ran out of memory (the GPU's, or the Java heap). The run stops without a final model; the checkpoints on
 * disk are as they were (each was written atomically), so {@code --resume} continues from the last one once the
 * settings named in the message are lowered.
 */
public final class TrainingOutOfMemoryException extends RuntimeException {
    /** The exit status of a run that ran out of memory (as the divergence's 3 and a stop's 130/143 differ from 2). */
    public static final int EXIT_CODE = 4;

    private final long step;
    private final String phase;

    public TrainingOutOfMemoryException(long step, String phase, String message, Throwable cause) {
        super(message, cause);
        this.step = step;
        this.phase = phase;
    }

    /** The 1-based step that ran out. */
    public long step() {
        return step;
    }

    /** What the step was doing (the trainer's {@link TrainingStep#phase()}). */
    public String phase() {
        return phase;
    }
}
