package org.align4j.policy.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.ops.DeviceOutOfMemoryException;

/**
 * The one training loop every trainer runs (see {@link TrainingStep} for what a trainer supplies). It opens the
 * run directory (a new run, or {@code --resume} from its latest complete checkpoint), then for each step:
 * <ul>
 *   <li>logs the trainer's window metrics plus {@code learning_rate} and {@code grad_norm} to metrics.jsonl after
 *       every {@code logging_steps} steps and after the last step;</li>
 *   <li>evaluates (when the trainer has an eval set) after every {@code eval_steps} steps and after the last step;
 *       {@code eval_steps: 0} evaluates only after the last step (as {@code save_steps: 0} saves only at the end);
 *       without an eval file there is no evaluation;</li>
 *   <li>saves a checkpoint after every {@code save_steps} steps (not after the last one, which {@code final/}
 *       holds), keeping the newest {@code save_total_limit} (0 keeps all); {@code save_steps: 0} saves none;</li>
 * </ul>
 * and at the end writes {@code final/} and {@code metrics.png}.
 * <p>
 * Divergence is an error ({@link DivergenceGuard}: non-finite weights; more than {@code max_skipped_steps} steps
 * with a non-finite loss or gradient, whose updates are refused; a KL above {@code max_kl}; a loss more than
 * {@code max_loss_spike} above its running mean): the run stops with a {@link TrainingDivergedException} naming the
 * step and the quantity, logs that step with a {@code diverged} reason, writes no {@code final/}, and leaves the
 * last good checkpoint on disk (written then from a copy kept in memory when no checkpoint had been saved yet: the
 * weights and optimizer state right before the last update whose loss and gradient were finite).
 * A skipped step is never checkpointed.
 * <p>
 * A {@link StopRequest} (SIGINT, SIGTERM) is acted on after the step in progress: the steps done are logged and
 * saved as a checkpoint, and the run ends with a {@link TrainingInterruptedException}. With several ranks, all stop
 * after the same step (the first where any rank has seen the request) and save that checkpoint together.
 * <p>
 * A step that runs out of memory (the GPU's, {@link DeviceOutOfMemoryException}, or the Java heap) ends the run with
 * a {@link TrainingOutOfMemoryException} naming the step, its {@link TrainingStep#phase() phase} and the newest
 * checkpoint; nothing is written after it, so the checkpoints on disk stay as they were for {@code --resume}.
 * <p>
 * Data parallel ({@link TrainingConfig#collective()} of several ranks): every rank runs this loop on its share of
 * each step's batch, the optimizer sums the gradients over the ranks, and rank 0 alone writes the run directory
 * (config, metrics, checkpoints, final model, plot): the other ranks read the checkpoint they resume from and
 * write nothing. Every rank has prepared (read and checked its inputs) before rank 0 writes anything.
 */
public final class TrainingLoop {
    private final TrainingConfig config;
    private final boolean resume;
    private final PrintStream log;

    /**
     * What a finished run left behind: the steps of the run, the last step's report, and the last logged train
     * and eval metrics (empty when none were logged).
     */
    public record Outcome(Path runDir, Path finalModel, long steps, TrainingStep.Report last,
                          Map<String, Object> lastLogged, Map<String, Object> lastEval) {
    }

    /** A loop over the run in config.outputDir; {@code resume} continues it from its latest checkpoint. */
    public TrainingLoop(TrainingConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    /**
     * Runs {@code trainer} to the end (or from its resumed step to the end) and closes it. Every input is read and
     * checked before anything is written to output_dir, so a start that fails leaves it as it was.
     */
    public Outcome run(TrainingStep trainer) {
        Path dir = Paths.get(config.outputDir);
        try (trainer) {
            Optional<RunDirectory.Checkpoint> from = RunDirectory.startingPoint(dir, resume);
            long total = trainer.prepare(from);
            config.collective().barrier();
            if (!config.collective().writes()) {
                return run(dir, null, trainer, from, total);
            }
            try (RunDirectory run = RunDirectory.open(dir, resume)) {
                return run(dir, run, trainer, from, total);
            }
        }
    }

    /** run: the run directory, or null on a rank that writes nothing. */
    private Outcome run(Path dir, RunDirectory run, TrainingStep trainer, Optional<RunDirectory.Checkpoint> from,
                        long total) {
        long start = 0;
        if (from.isPresent()) {
            start = from.get().state().step();
            if (run != null) {
                log.println(trainer.name() + ": resuming " + dir + " from step " + start);
            }
        } else if (run != null) {
            run.writeConfig(ConfigLoader.dump(config));
        }
        if (run != null) {
            trainer.begin(run);
        }
        DivergenceGuard guard = new DivergenceGuard(config);
        LastGood lastGood = new LastGood(from.orElse(null), trainer, start,
                (state, keep) -> checkpoint(run, dir, trainer, state, keep));
        // ranks other than 0 show no progress (rank 0's bar is the run's)
        ProgressBar bar = run != null ? new ProgressBar(trainer.name(), start, total, trainer.unit())
                : new ProgressBar(trainer.name(), start, total, trainer.unit(),
                new PrintStream(java.io.OutputStream.nullOutputStream()), false, System::nanoTime, Long.MAX_VALUE);
        TrainingStep.Report last = null;
        Map<String, Object> lastLogged = Map.of();
        Map<String, Object> lastEval = Map.of();
        long units = 0;
        long savedAt = -1;
        long trainLoggedAt = -1;
        for (long step = start; step < total; step++) {
            Optional<StopRequest.Stop> stop = stopRequested();
            if (stop.isPresent()) {
                bar.finish();
                throw interrupted(run, dir, from, trainer, stop.get(), step, last, savedAt, trainLoggedAt);
            }
            lastGood.beforeStep(step);
            TrainingStep.Report r;
            try {
                r = trainer.step(step);
            } catch (RuntimeException | OutOfMemoryError e) {
                Throwable oom = outOfMemoryCause(e);
                if (oom == null) {
                    throw e;
                }
                bar.finish();
                throw outOfMemory(dir, trainer, step + 1, oom);
            }
            lastGood.afterStep();
            last = r;
            long done = step + 1;
            DivergenceGuard.Verdict verdict = guard.check(r);
            if (verdict.diverged() != null) {
                bar.finish();
                throw diverged(run, trainer, r, done, verdict.diverged(), lastGood);
            }
            if (verdict.skipped()) {
                log.printf("%s: step %d: non-finite loss or gradient (loss %s, grad norm %s); update skipped%n",
                        trainer.name(), done, r.loss(), r.gradNorm());
            }
            units += r.units();
            bar.update(done, units, r.progress());
            Map<String, Object> m = new LinkedHashMap<>();
            if (done % config.loggingSteps == 0 || done == total) {
                lastLogged = new LinkedHashMap<>(trainer.logs(done));
                lastLogged.put("learning_rate", r.learningRate());
                lastLogged.put("grad_norm", r.gradNorm());
                m.putAll(lastLogged);
                trainLoggedAt = done;
            }
            if (run != null && trainer.hasEval()
                    && (done == total || (config.evalSteps > 0 && done % config.evalSteps == 0))) {
                lastEval = trainer.evaluate();
                m.putAll(lastEval);
            }
            if (run != null && !m.isEmpty()) {
                run.logMetrics(done, m);
            }
            if (verdict.good()) {
                lastGood.stepWasGood(run, done, config.saveTotalLimit);
            }
            if (config.saveSteps > 0 && done % config.saveSteps == 0 && done < total && verdict.good()) {
                // kept beside the older ones until the next good step has tried its weights
                int keep = config.saveTotalLimit == 0 ? 0 : config.saveTotalLimit + 1;
                lastGood.savedUntried(checkpoint(run, dir, trainer, trainer.state(done), keep));
                savedAt = done;
            }
        }
        bar.finish();
        Path finalDir = dir.resolve("final");
        if (run != null) {
            run.prune(config.saveTotalLimit);
            trainer.saveFinal(finalDir);
            MetricsPlotter.plotLogged(run.dir().resolve(RunDirectory.METRICS), run.dir().resolve("metrics.png"),
                    trainer.plotted());
            log.println(trainer.name() + ": final model in " + finalDir);
        }
        return new Outcome(dir, finalDir, total, last, lastLogged, lastEval);
    }

    /**
     * Saves a checkpoint of state, on every rank together (run: null except on rank 0, which alone writes unless the
     * optimizer state is sharded). ZeRO-1: rank 0 starts the checkpoint's .tmp folder, every rank writes its shard
     * of the optimizer state into it, and once all have (a barrier) rank 0 writes the rest and renames the folder
     * into place: the checkpoint appears complete, or not at all. Returns the checkpoint (its dir null off rank 0).
     */
    private RunDirectory.Checkpoint checkpoint(RunDirectory run, Path dir, TrainingStep trainer, TrainerState state,
                                               int keepLast) {
        Optimization opt = trainer.optimization();
        if (!opt.sharded()) {
            return run == null ? new RunDirectory.Checkpoint(state.step(), null)
                    : run.saveCheckpoint(state, trainer::saveCheckpoint, keepLast);
        }
        Collective ranks = config.collective();
        if (run != null) {
            run.startCheckpoint(state.step());
        }
        ranks.barrier(); // the folder is there
        opt.saveShard(RunDirectory.checkpointInProgress(dir, state.step()));
        ranks.barrier(); // every shard is written
        return run == null ? new RunDirectory.Checkpoint(state.step(), null)
                : run.finishCheckpoint(state, trainer::saveCheckpoint, keepLast);
    }

    /**
     * The stop request to act on before the next step. With several ranks, every rank says whether it has seen one
     * (a sum over the ranks, each step): a signal reaches the ranks at different steps, and they all stop at the
     * first step where any has seen it, so that they save one checkpoint together.
     */
    private Optional<StopRequest.Stop> stopRequested() {
        Optional<StopRequest.Stop> mine = StopRequest.pending();
        Collective ranks = config.collective();
        if (ranks.size() == 1) {
            return mine;
        }
        double[] seen = {mine.isPresent() ? 1 : 0, mine.map(StopRequest.Stop::exitCode).orElse(0)};
        ranks.allReduceSum(seen);
        if (seen[0] == 0) {
            return Optional.empty();
        }
        if (mine.isPresent()) {
            return mine;
        }
        int exitCode = (int) Math.round(seen[1] / seen[0]); // the others' signal
        return Optional.of(new StopRequest.Stop(exitCode == 143 ? "SIGTERM" : "SIGINT", exitCode));
    }

    /**
     * Acts on a stop request after {@code done} steps, on every rank together: logs the steps since the last logged
     * one, saves a checkpoint of them (unless one was just saved, or no step was taken) and returns the exception
     * that ends the run. With several ranks, no rank returns before the checkpoint is complete (a rank that ends the
     * run ends the others).
     */
    private TrainingInterruptedException interrupted(RunDirectory run, Path dir, Optional<RunDirectory.Checkpoint> from,
                                                     TrainingStep trainer, StopRequest.Stop stop, long done,
                                                     TrainingStep.Report last, long savedAt, long trainLoggedAt) {
        StopRequest.clear();
        Path checkpoint = from.map(RunDirectory.Checkpoint::dir).orElse(null);
        if (last != null) {
            if (trainLoggedAt != done) {
                Map<String, Object> m = new LinkedHashMap<>(trainer.logs(done));
                m.put("learning_rate", last.learningRate());
                m.put("grad_norm", last.gradNorm());
                if (run != null) {
                    run.logMetrics(done, m);
                }
            }
            if (savedAt != done) {
                checkpoint(run, dir, trainer, trainer.state(done), config.saveTotalLimit);
            }
            checkpoint = RunDirectory.checkpointDir(dir, done);
        }
        config.collective().barrier();
        return new TrainingInterruptedException(stop.signal(), stop.exitCode(), done, checkpoint);
    }

    /** The out-of-memory error behind {@code e} (a rollout thread's arrives wrapped), or null. */
    private static Throwable outOfMemoryCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DeviceOutOfMemoryException || t instanceof OutOfMemoryError) {
                return t;
            }
        }
        return null;
    }

    /**
     * The exception ending a run whose step {@code done} ran out of memory: which phase, what ran out, the newest
     * checkpoint on disk (untouched: nothing is written after an out-of-memory) and what to lower.
     */
    private TrainingOutOfMemoryException outOfMemory(Path dir, TrainingStep trainer, long done, Throwable oom) {
        String phase = trainer.phase();
        String what = oom instanceof OutOfMemoryError ? "the Java heap ran out (" + oom.getMessage()
                + "; raise -Xmx through JAVA_OPTS)" : oom.getMessage();
        String kept = RunDirectory.latestCheckpoint(dir)
                .map(c -> "the last checkpoint " + c.dir() + " (step " + c.step() + ") is intact; continue with --resume")
                .orElse("no checkpoint was saved yet");
        return new TrainingOutOfMemoryException(done, phase, trainer.name() + " ran out of memory in step " + done
                + " (" + phase + "; rank " + config.collective().rank() + "): " + what + "; no final model written; "
                + kept + " after lowering the batch (batch_size, gradient_accumulation_steps), the lengths "
                + "(max_prompt_length, max_completion_length) or setting gradient_checkpointing, bf16 or use_peft", oom);
    }

    /**
     * Logs the diverged step, makes sure a good checkpoint is on disk (writing the in-memory one when no
     * checkpoint was saved yet), and returns the exception that ends the run, without a final model.
     */
    private TrainingDivergedException diverged(RunDirectory run, TrainingStep trainer, TrainingStep.Report r, long done,
                                               String reason, LastGood lastGood) {
        if (run == null) {
            lastGood.onDisk(null, config.saveTotalLimit); // with rank 0, which writes it
            config.collective().barrier(); // ending now would stop rank 0 while it writes
            return new TrainingDivergedException(done, trainer.name() + " diverged at step " + done + ": " + reason
                    + " (rank " + config.collective().rank() + "; rank 0 keeps the last good checkpoint)");
        }
        Map<String, Object> m = new LinkedHashMap<>(trainer.logs(done));
        m.put("learning_rate", r.learningRate());
        m.put("grad_norm", r.gradNorm());
        m.put("diverged", reason);
        run.logMetrics(done, m);
        RunDirectory.Checkpoint kept = lastGood.onDisk(run, config.saveTotalLimit);
        config.collective().barrier();
        return new TrainingDivergedException(done, trainer.name() + " diverged at step " + done + ": " + reason
                + "; no final model written; last good checkpoint " + kept.dir() + " (step " + kept.step() + ")");
    }

    /**
     * The last good state of the run: its newest checkpoint on disk whose weights a later step has tried and found
     * finite, or, until there is one, a copy in memory of the weights and optimizer state taken right before the
     * last update whose loss and gradient were finite (3x the parameters' memory, released when a checkpoint is
     * confirmed). A checkpoint saved at step s is confirmed by the next good step; if the run diverges first, it is
     * deleted, as the state the failure started from.
     */
    private static final class LastGood {
        private final TrainingStep trainer;
        private RunDirectory.Checkpoint saved;
        private AdamW.Snapshot snapshot;
        private TrainerState snapshotState;
        private TrainerState beforeStep;
        private RunDirectory.Checkpoint untried;
        /** Saves a checkpoint of a state, on every rank together (see {@link TrainingLoop#checkpoint}). */
        private final java.util.function.BiFunction<TrainerState, Integer, RunDirectory.Checkpoint> save;

        LastGood(RunDirectory.Checkpoint resumedFrom, TrainingStep trainer, long start,
                 java.util.function.BiFunction<TrainerState, Integer, RunDirectory.Checkpoint> save) {
            this.trainer = trainer;
            this.save = save;
            this.saved = resumedFrom;
            if (resumedFrom == null) {
                snapshot = trainer.optimization().newSnapshot();
                snapshot.take();
                snapshotState = trainer.state(start);
            }
        }

        /** Before step {@code step} (0-based): its first finite update copies the weights it starts from. */
        void beforeStep(long step) {
            if (snapshot != null) {
                beforeStep = trainer.state(step);
                trainer.optimization().keepBeforeNextUpdate(snapshot);
            }
        }

        /** After the step: the copy, if taken, is of the state before it. */
        void afterStep() {
            if (snapshot != null && trainer.optimization().keptSnapshot()) {
                snapshotState = beforeStep;
            }
        }

        void saved(RunDirectory.Checkpoint checkpoint) {
            saved = checkpoint;
            if (snapshot != null) {
                trainer.optimization().keepBeforeNextUpdate(null);
            }
            snapshot = null;
            snapshotState = null;
        }

        /** A checkpoint whose weights no step has tried yet: good once the next good step has. */
        void savedUntried(RunDirectory.Checkpoint checkpoint) {
            untried = checkpoint;
        }

        /** Step {@code done} was good: a checkpoint saved before it is confirmed, and the oldest pruned. */
        void stepWasGood(RunDirectory run, long done, int keepLast) {
            if (untried != null && untried.step() < done) {
                saved(untried);
                untried = null;
                if (run != null) {
                    run.prune(keepLast);
                }
            }
        }

        /** The last good checkpoint, written now from memory if none was saved (by rank 0; run null elsewhere). */
        RunDirectory.Checkpoint onDisk(RunDirectory run, int keepLast) {
            if (untried != null) {
                // the weights the diverged step (or the skipped ones before it) started from
                if (run != null) {
                    AtomicFiles.deleteRecursively(untried.dir());
                }
                untried = null;
            }
            if (snapshot != null) {
                snapshot.restore();
                saved(save.apply(snapshotState, keepLast)); // every rank together
            }
            return saved;
        }
    }
}
