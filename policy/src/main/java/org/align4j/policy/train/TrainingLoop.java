package org.align4j.policy.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

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
 * and at the end writes {@code final/} and {@code metrics.png}. A step whose optimizer update was refused for a
 * non-finite gradient is logged as skipped and never checkpointed.
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

    /** Runs {@code trainer} to the end (or from its resumed step to the end) and closes it. */
    public Outcome run(TrainingStep trainer) {
        try (RunDirectory run = RunDirectory.open(Paths.get(config.outputDir), resume); trainer) {
            return run(run, trainer);
        }
    }

    private Outcome run(RunDirectory run, TrainingStep trainer) {
        Optional<RunDirectory.Checkpoint> from = run.resumedFrom();
        long total = trainer.prepare(from);
        long start = 0;
        if (from.isPresent()) {
            start = from.get().state().step();
            log.println(trainer.name() + ": resuming " + run.dir() + " from step " + start);
        } else {
            run.writeConfig(ConfigLoader.dump(config));
        }
        trainer.begin(run);
        ProgressBar bar = new ProgressBar(trainer.name(), start, total, trainer.unit());
        TrainingStep.Report last = null;
        Map<String, Object> lastLogged = Map.of();
        Map<String, Object> lastEval = Map.of();
        long units = 0;
        for (long step = start; step < total; step++) {
            TrainingStep.Report r = trainer.step(step);
            last = r;
            long done = step + 1;
            if (r.skipped() || !Double.isFinite(r.loss())) {
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
            }
            if (trainer.hasEval() && (done == total || (config.evalSteps > 0 && done % config.evalSteps == 0))) {
                lastEval = trainer.evaluate();
                m.putAll(lastEval);
            }
            if (!m.isEmpty()) {
                run.logMetrics(done, m);
            }
            if (config.saveSteps > 0 && done % config.saveSteps == 0 && done < total && !r.skipped()) {
                run.saveCheckpoint(trainer.state(done), trainer::saveCheckpoint, config.saveTotalLimit);
            }
        }
        bar.finish();
        Path finalDir = run.dir().resolve("final");
        trainer.saveFinal(finalDir);
        MetricsPlotter.plotLogged(run.dir().resolve(RunDirectory.METRICS), run.dir().resolve("metrics.png"),
                trainer.plotted());
        log.println(trainer.name() + ": final model in " + finalDir);
        return new Outcome(run.dir(), finalDir, total, last, lastLogged, lastEval);
    }
}
