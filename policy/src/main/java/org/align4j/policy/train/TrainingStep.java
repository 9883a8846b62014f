package org.align4j.policy.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a trainer supplies to the {@link TrainingLoop}: its models, data and one step. The loop owns everything
 * else (the run directory, resume, the logging, eval and save cadence, metrics.jsonl, the progress bar, the plot,
 * the final save), so a new trainer is one class implementing this interface. The loop calls, in order:
 * <ol>
 *   <li>{@link #prepare} once: load the models and data (from the checkpoint when resuming) and return the number
 *       of steps of the whole run. Nothing may be written to the run directory yet: a start that fails here
 *       leaves output_dir as it was;</li>
 *   <li>{@link #begin} once, after the run directory holds the config (a fresh run only writes files here);</li>
 *   <li>{@link #step} for each step from the resumed step (or 0) to the total; after a step, {@link #logs} every
 *       logging_steps, {@link #evaluate} every eval_steps, {@link #state} and {@link #saveCheckpoint} every
 *       save_steps;</li>
 *   <li>{@link #saveFinal} once, unless the run stopped early;</li>
 *   <li>{@link #close} always.</li>
 * </ol>
 */
public interface TrainingStep extends AutoCloseable {

    /**
     * What one step did. {@code loss} and {@code kl} are what the divergence guard watches (NaN {@code kl}: the
     * trainer has none); {@code gradNorm} and {@code learningRate} are those of the step's last optimizer update
     * (the loop logs them); {@code skippedUpdates} counts the optimizer updates refused for a non-finite gradient;
     * {@code weightsFinite} is false when an update left a weight non-finite; {@code units} is the work done, for
     * the progress bar's rate (tokens, pairs, examples); {@code progress} the values the bar shows.
     */
    record Report(double loss, double kl, double gradNorm, double learningRate, int skippedUpdates,
                  boolean weightsFinite, long units, Map<String, ? extends Number> progress) {

        /** A step of one optimizer update with no KL term. */
        public static Report of(double loss, Optimization.StepResult update, long units,
                                Map<String, ? extends Number> progress) {
            return new Report(loss, Double.NaN, update.gradNorm(), update.learningRate(), update.skipped() ? 1 : 0,
                    update.weightsFinite(), units, progress);
        }

        public boolean skipped() {
            return skippedUpdates > 0;
        }
    }

    /** The trainer's name, as the progress bar and log lines show it ("sft", "dpo", "rm", "grpo"). */
    String name();

    /** The unit of {@link Report#units} ("tok", "pairs", "ex"). */
    String unit();

    /**
     * Loads models, data and optimizer state, validating every input, and returns the steps of the whole run.
     * When {@code resumeFrom} is present, restores the model, optimizer and data position from it. Must not write
     * into the run directory.
     */
    long prepare(Optional<RunDirectory.Checkpoint> resumeFrom);

    /** Called once after {@link #prepare} with the run directory, for a trainer's own files in it. */
    default void begin(RunDirectory run) {
    }

    /** Takes step {@code step} (0-based). */
    Report step(long step);

    /**
     * What the step under way is doing, for the message of a step that runs out of memory (GRPO: "rollout",
     * "reward", "update"). Read from the loop's thread while the step runs; a trainer with one kind of work keeps
     * the default.
     */
    default String phase() {
        return "forward/backward and update";
    }

    /**
     * The metrics of the steps since the last call (TRL averages over the logging window), logged with the
     * loop's learning_rate and grad_norm at step {@code stepsDone}.
     */
    Map<String, Object> logs(long stepsDone);

    /** Whether there is an eval set; without one the loop never calls {@link #evaluate}. */
    boolean hasEval();

    /** Evaluates the current model; keys carry the {@code eval_} prefix. */
    Map<String, Object> evaluate();

    /** What a checkpoint after {@code stepsDone} steps needs to resume: data position, RNG, trainer fields. */
    TrainerState state(long stepsDone);

    /**
     * The optimizer over the trained parameters. The loop keeps a copy of their values and its state from the last
     * good step until the first checkpoint is saved, so that a run diverging before it still leaves one.
     */
    Optimization optimization();

    /** Writes the model and optimizer state into a fresh checkpoint directory (see {@link Checkpointable}). */
    void saveCheckpoint(Path dir) throws IOException;

    /** Writes the trained model in Hugging Face layout into {@code dir} (the run's {@code final/}). */
    void saveFinal(Path dir);

    /** The logged metrics the end-of-run plot shows (those present). */
    List<String> plotted();

    /** Releases what {@link #prepare} started (rollout threads, reward processes). */
    @Override
    default void close() {
    }
}
