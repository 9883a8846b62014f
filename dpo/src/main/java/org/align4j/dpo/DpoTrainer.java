package org.align4j.dpo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.dpo.loss.PreferenceLosses;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.MetricsPlotter;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.ProgressBar;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.util.BadInputException;

/**
 * A DPO run: reads the pairs, loads the policy (and its reference, the same model frozen), trains with
 * {@link DpoBatchTrainer}, logs TRL's metrics (eval ones prefixed {@code eval_}) to metrics.jsonl, saves
 * checkpoints in the run directory, resumes exactly with {@code resume}, and writes the final model in Hugging
 * Face layout, with the tokenizer files of model_name_or_path, to {@code output_dir/final}.
 */
public final class DpoTrainer {
    /** What the end-of-run plot shows (those that were logged). */
    static final List<String> PLOTTED = List.of("loss", "eval_loss", "rewards/accuracies", "eval_rewards/accuracies",
            "rewards/margins", "eval_rewards/margins", "rewards/chosen", "rewards/rejected", "logps/chosen",
            "logps/rejected", "learning_rate", "grad_norm");

    private final DpoConfig config;
    private final boolean resume;
    private final PrintStream log;

    /** What a finished run left behind, with the last logged train and eval metrics. */
    public record Result(Path runDir, Path finalModel, long steps, Map<String, Double> train,
                         Map<String, Double> eval) {
    }

    public DpoTrainer(DpoConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        try (RunDirectory run = RunDirectory.open(Paths.get(config.outputDir), resume)) {
            return train(run);
        }
    }

    private Result train(RunDirectory run) {
        Path modelDir = Paths.get(config.modelNameOrPath);
        Path tokDir = Files.isRegularFile(modelDir.resolve("tokenizer.json")) ? modelDir : null;
        Tokenizer tokenizer = tokDir == null ? null : Tokenizer.load(tokDir);
        CausalLM policy;
        CausalLM referenceModel;
        TrainerState state;
        if (run.resumedFrom().isPresent()) {
            RunDirectory.Checkpoint ck = run.resumedFrom().get();
            policy = HfCheckpoint.load(ck.dir().resolve(RunDirectory.MODEL_DIR));
            // the reference is the starting model, which the trained policy no longer is
            referenceModel = HfCheckpoint.load(modelDir);
            state = ck.state();
            log.println("resuming " + run.dir() + " from step " + state.step());
        } else {
            policy = HfCheckpoint.load(modelDir);
            // precomputing runs before any update, so the policy itself can serve as the reference
            referenceModel = config.precomputeRefLogProbs ? policy : policy.copy();
            state = new TrainerState(0, null, 0);
            run.writeConfig(ConfigLoader.dump(config));
        }
        policy.setMoeAuxLossWeight(config.moeAuxLossWeight);
        PairTruncation truncation = config.truncation();
        int vocab = policy.config().vocabSize;
        PreferenceDataset trainSet = read(config.trainFile, tokenizer, truncation, vocab, policy);
        PreferenceDataset evalSet = config.evalFile == null ? null
                : read(config.evalFile, tokenizer, truncation, vocab, policy);
        List<PreferencePair> train = trainSet.pairs();
        List<PreferencePair> eval = evalSet == null ? List.of() : evalSet.pairs();
        boolean mean = PreferenceLosses.get(config.lossType).averagesTokens();

        ReferenceLogProbs reference;
        if (config.precomputeRefLogProbs) {
            train = precompute(referenceModel, train, mean, "train");
            eval = eval.isEmpty() ? eval : precompute(referenceModel, eval, mean, "eval");
            reference = ReferenceLogProbs.precomputed();
        } else {
            reference = ReferenceLogProbs.onTheFly(referenceModel);
        }
        referenceModel = null; // with precomputed values, nothing holds the reference model any more

        int perStep = config.batchSize * config.gradientAccumulationSteps;
        long stepsPerEpoch = (train.size() + perStep - 1) / perStep;
        long total = config.totalSteps(stepsPerEpoch);
        DpoBatchTrainer trainer = new DpoBatchTrainer(config, policy, reference, total);
        run.resumedFrom().ifPresent(ck -> trainer.optimization().load(ck.dir()));
        DataOrder order = new DataOrder(train.size(), config.seed);
        log.printf("dpo: %d pairs, %d steps of %d pairs, loss %s (beta %s), reference %s, model of %,d parameters%n",
                train.size(), total, perStep, config.lossType, config.beta,
                config.precomputeRefLogProbs ? "precomputed" : "on the fly", policy.parameterCount());

        ProgressBar bar = new ProgressBar("dpo", state.step(), total, "pairs");
        long position = state.dataPosition();
        DpoMetrics window = new DpoMetrics();
        Map<String, Double> lastTrain = Map.of();
        Map<String, Double> lastEval = Map.of();
        long pairsSinceStart = 0;
        for (long step = state.step(); step < total; step++) {
            List<PreferencePair> batch = new ArrayList<>(perStep);
            for (int i = 0; i < perStep; i++) {
                batch.add(train.get(order.at(position++)));
            }
            DpoMetrics stepMetrics = new DpoMetrics();
            Optimization.StepResult r = trainer.step(batch, step, stepMetrics);
            window.add(stepMetrics);
            long done = step + 1;
            if (r.skipped() || !Double.isFinite(stepMetrics.loss())) {
                log.printf("step %d: non-finite loss or gradient (loss %s, grad norm %s); step skipped%n", done,
                        stepMetrics.loss(), r.gradNorm());
            }
            Map<String, Double> shown = new LinkedHashMap<>();
            shown.put("loss", stepMetrics.loss());
            shown.put("acc", stepMetrics.accuracy());
            shown.put("margin", stepMetrics.margin());
            pairsSinceStart += batch.size();
            bar.update(done, pairsSinceStart, shown);
            Map<String, Object> m = new LinkedHashMap<>();
            if (done % config.loggingSteps == 0 || done == total) {
                lastTrain = window.means("");
                m.putAll(lastTrain);
                m.put("learning_rate", r.learningRate());
                m.put("grad_norm", r.gradNorm());
                m.put("epoch", order.epochOf(position));
                window.reset();
            }
            if (!eval.isEmpty() && ((config.evalSteps > 0 && done % config.evalSteps == 0) || done == total)) {
                DpoMetrics em = new DpoMetrics();
                trainer.evaluate(eval, em);
                lastEval = em.means("eval_");
                m.putAll(lastEval);
            }
            if (!m.isEmpty()) {
                run.logMetrics(done, m);
            }
            if (config.saveSteps > 0 && done % config.saveSteps == 0 && done < total && !r.skipped()) {
                run.saveCheckpoint(new TrainerState(done, null, position), dir -> {
                    HfCheckpoint.save(policy, dir.resolve(RunDirectory.MODEL_DIR), tokDir);
                    trainer.optimization().save(dir);
                }, config.saveTotalLimit);
            }
        }
        bar.finish();
        Path finalDir = run.dir().resolve("final");
        HfCheckpoint.save(policy, finalDir, tokDir);
        MetricsPlotter.plotLogged(run.dir().resolve(RunDirectory.METRICS), run.dir().resolve("metrics.png"), PLOTTED);
        log.println("dpo: final model in " + finalDir + (lastEval.isEmpty() ? ""
                : String.format(" (eval reward accuracy %.3f, margin %.4f)", lastEval.get("eval_rewards/accuracies"),
                lastEval.get("eval_rewards/margins"))));
        return new Result(run.dir(), finalDir, total, lastTrain, lastEval);
    }

    private PreferenceDataset read(String file, Tokenizer tokenizer, PairTruncation truncation, int vocab,
                                   CausalLM policy) {
        PreferenceDataset d = PreferenceDataset.read(Paths.get(file), tokenizer, truncation, vocab);
        log.printf("dpo: %s: %d pairs, %d truncated to max_length %d (prompt first, %s)%n", file, d.size(),
                d.truncated(), config.maxLength, config.truncationMode);
        int maxPositions = policy.config().maxPositions;
        for (PreferencePair p : d.pairs()) {
            if (p.longestLength() > maxPositions) {
                throw new BadInputException(p.source() + ": " + p.longestLength() + " tokens exceed the model's "
                        + "max_position_embeddings " + maxPositions + " (lower max_length)");
            }
        }
        return d;
    }

    private List<PreferencePair> precompute(CausalLM reference, List<PreferencePair> pairs, boolean mean,
                                            String split) {
        ProgressBar bar = new ProgressBar("dpo reference (" + split + ")", 0, pairs.size(), "pairs");
        List<PreferencePair> out = ReferenceLogProbs.precompute(reference, pairs, config.refBatchSize(), mean,
                done -> bar.update(done, done, Map.of()));
        bar.finish();
        return out;
    }
}
