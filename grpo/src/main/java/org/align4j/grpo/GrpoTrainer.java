package org.align4j.grpo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.WeightedRewards;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.RolloutRequest;
import org.align4j.rollout.RolloutService;
import org.align4j.rollout.SamplingParams;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GRPO (DeepSeekMath, Shao et al. 2024). Each step: sample num_generations completions for each of the
 * step's prompts from the current policy (the rollout service), score them, turn the rewards into
 * group-relative advantages, and take num_iterations optimizer steps on {@link GrpoLoss} against a frozen
 * reference. A step in max_steps is one batch of rollouts; the learning-rate schedule counts optimizer
 * steps (max_steps x num_iterations).
 */
public final class GrpoTrainer {
    private final GrpoConfig config;
    private final boolean resume;
    private final PrintStream log;

    public record Result(Path runDir, Path finalModel, long steps, double lastRewardMean, Double lastEvalAccuracy) {
    }

    public GrpoTrainer(GrpoConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        try (RunDirectory run = RunDirectory.open(Paths.get(config.outputDir), resume)) {
            return train(run);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private Result train(RunDirectory run) throws InterruptedException {
        Path modelDir = Paths.get(config.modelNameOrPath);
        requireTokenizer(modelDir);
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        CausalLM policy;
        CausalLM reference = null;
        TrainerState state;
        if (run.resumedFrom().isPresent()) {
            RunDirectory.Checkpoint ck = run.resumedFrom().get();
            policy = HfCheckpoint.load(ck.dir().resolve(RunDirectory.MODEL_DIR));
            if (config.beta != 0) {
                Path refDir = ck.dir().resolve("ref_model");
                reference = HfCheckpoint.load(Files.isDirectory(refDir) ? refDir : modelDir);
            }
            state = ck.state();
            log.println("grpo: resuming " + run.dir() + " from step " + state.step());
        } else {
            policy = HfCheckpoint.load(modelDir);
            if (config.beta != 0) {
                reference = policy.copy();
            }
            state = new TrainerState(0, null, 0);
            run.writeConfig(ConfigLoader.dump(config));
        }
        policy.setMoeAuxLossWeight(config.moeAuxLossWeight);
        List<PromptRow> train = PromptRow.read(Paths.get(config.trainFile), tokenizer, config.maxPromptLength, 0);
        List<PromptRow> eval = config.evalFile == null ? List.of()
                : PromptRow.read(Paths.get(config.evalFile), tokenizer, config.maxPromptLength, config.evalLimit);
        WeightedRewards outcome = config.processSupervision() ? null : RewardFactory.weighted(config.rewards);
        ProcessReward process = config.processSupervision() ? RewardFactory.process(config.rewards.get(0)) : null;
        OutcomeReward checker = eval.isEmpty() ? null : RewardFactory.outcome(Map.of("type", "math_answer"));
        long total = config.maxSteps > 0 ? config.maxSteps
                : config.totalSteps((train.size() + config.promptsPerStep() - 1) / config.promptsPerStep());
        Optimization opt = new Optimization(policy.parameters(), config, total * config.numIterations, policy.ops());
        run.resumedFrom().ifPresent(ck -> opt.load(ck.dir()));
        GrpoStep grpoStep = new GrpoStep(config, policy, reference, tokenizer, outcome, process, opt, log);
        DataOrder order = new DataOrder(train.size(), config.seed);
        log.printf("grpo: %d prompts, %d steps of %d prompts x %d generations, policy of %,d parameters%n",
                train.size(), total, config.promptsPerStep(), config.numGenerations, policy.parameterCount());
        RolloutService.Options ro = RolloutService.Options.DEFAULTS
                .withMaxBatchSequences(Math.max(config.completionsPerStep(), config.numGenerations))
                .withMaxStaleness(config.asyncRollouts ? 1 : 0);
        long position = state.dataPosition();
        long startStep = state.step();
        ProgressBar bar = new ProgressBar("grpo", startStep, total, "tok");
        double lastReward = Double.NaN;
        long tokensSampled = 0;
        Double lastEval = null;
        try (RolloutService rollouts = RolloutService.start(policy, tokenizer, startStep, ro);
             WeightedRewards closeOutcome = outcome;
             ProcessReward closeProcess = process;
             OutcomeReward closeChecker = checker) {
            List<PromptRow> stepRows = rows(train, order, position);
            CompletableFuture<List<CompletionGroup>> pending =
                    rollouts.submit(request(stepRows, startStep, 0).forVersion(startStep));
            for (long step = startStep; step < total; step++) {
                long t0 = System.nanoTime();
                List<CompletionGroup> groups = get(pending);
                List<PromptRow> rowsOfStep = stepRows;
                position += rowsOfStep.size();
                long t1 = System.nanoTime();
                Map<String, Object> m = new LinkedHashMap<>();
                long current = step;
                long[] extraPosition = {position};
                // dynamic sampling draws further prompts, sampled by the current policy, before the next batch's
                GrpoStep.MoreSamples more = genBatch -> {
                    List<PromptRow> r = rows(train, order, extraPosition[0]);
                    extraPosition[0] += r.size();
                    return new GrpoStep.Batch(get(rollouts.submit(request(r, current, genBatch).forVersion(current))), r);
                };
                ScoredGroups scored = grpoStep.collect(new GrpoStep.Batch(groups, rowsOfStep), more, m);
                position = extraPosition[0];
                long t2 = System.nanoTime();
                if (config.asyncRollouts && step + 1 < total) {
                    // the next batch is sampled by this version while the update below runs (one behind)
                    stepRows = rows(train, order, position);
                    pending = rollouts.submit(request(stepRows, step + 1, 0).forVersion(step + 1));
                }
                GrpoStep.Stats u = scored.groups == 0 ? null : grpoStep.update(scored, step, m);
                if (u == null) {
                    log.printf("step %d: no group with differing rewards; no update%n", step + 1);
                    u = new GrpoStep.Stats(0, 0, 0, true);
                }
                long t3 = System.nanoTime();
                rollouts.publish(policy, step + 1);
                if (!config.asyncRollouts && step + 1 < total) {
                    stepRows = rows(train, order, position);
                    pending = rollouts.submit(request(stepRows, step + 1, 0).forVersion(step + 1));
                }
                if (config.syncRefModel && reference != null && (step + 1) % config.refModelSyncSteps == 0) {
                    mixInto(reference, policy, config.refModelMixupAlpha);
                }
                long done = step + 1;
                lastReward = scored.groups == 0 ? lastReward : GrpoStep.nanMean(scored.rewards);
                m.put("timing/rollout_s", (t1 - t0) / 1e9);
                m.put("timing/reward_s", (t2 - t1) / 1e9);
                m.put("timing/update_s", (t3 - t2) / 1e9);
                m.put("rollout_tokens_per_s", u.completionTokens() / Math.max((t1 - t0) / 1e9, 1e-9));
                m.put("update_tokens_per_s", u.sequenceTokens() * config.numIterations / Math.max((t3 - t2) / 1e9, 1e-9));
                if (checker != null && config.evalSteps > 0 && (done % config.evalSteps == 0 || done == total)) {
                    lastEval = HeldOutAccuracy.evaluate(policy, tokenizer, eval, checker, config.maxCompletionLength,
                            config.stopStrings);
                    m.put("eval_accuracy", lastEval);
                }
                run.logMetrics(done, m);
                tokensSampled += u.completionTokens();
                bar.update(done, tokensSampled, Map.of("reward", lastReward, "kl", u.kl()));
                boolean save = config.saveSteps > 0 && done % config.saveSteps == 0 && done < total;
                if (save && !u.skipped()) {
                    CausalLM ref = reference;
                    run.saveCheckpoint(new TrainerState(done, null, position), dir -> {
                        HfCheckpoint.save(policy, dir.resolve(RunDirectory.MODEL_DIR), modelDir);
                        if (config.syncRefModel && ref != null) {
                            HfCheckpoint.save(ref, dir.resolve("ref_model"), null);
                        }
                        opt.save(dir);
                    }, config.saveTotalLimit);
                }
            }
            bar.finish();
        }
        Path finalDir = run.dir().resolve("final");
        HfCheckpoint.save(policy, finalDir, modelDir);
        MetricsPlotter.plotLogged(run.dir().resolve(RunDirectory.METRICS), run.dir().resolve("metrics.png"),
                List.of("reward", "reward_std", "eval_accuracy", "kl", "loss", "entropy", "clip_ratio/region_mean",
                        "completions/mean_length", "frac_reward_zero_std", "grad_norm"));
        log.println("grpo: final model in " + finalDir);
        return new Result(run.dir(), finalDir, total, lastReward, lastEval);
    }

    private List<PromptRow> rows(List<PromptRow> train, DataOrder order, long position) {
        List<PromptRow> out = new ArrayList<>();
        for (int i = 0; i < config.promptsPerStep(); i++) {
            out.add(train.get(order.at(position + i)));
        }
        return out;
    }

    /** genBatch: the generation batch within the step (dynamic sampling draws more than one), for its seed. */
    private RolloutRequest request(List<PromptRow> rows, long step, int genBatch) {
        List<Prompt> prompts = new ArrayList<>();
        for (PromptRow r : rows) {
            prompts.add(r.prompt());
        }
        SamplingParams p = new SamplingParams(config.temperature, config.topP, config.topK,
                config.maxCompletionLength, config.stopStrings, config.seed * 1_000_003L + step + 7_919L * 1_000_003L * genBatch);
        return RolloutRequest.of(prompts, config.numGenerations, p);
    }

    private static List<CompletionGroup> get(CompletableFuture<List<CompletionGroup>> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) {
                throw (RuntimeException) c;
            }
            throw new IllegalStateException("rollout failed: " + c, c);
        }
    }

    /** reference <- alpha * policy + (1 - alpha) * reference (TRL's ref_model_mixup_alpha). */
    private static void mixInto(CausalLM reference, CausalLM policy, double alpha) {
        Map<String, INDArray> pw = policy.weights();
        reference.weights().forEach((name, v) -> v.muli(1 - alpha).addi(pw.get(name).mul(alpha)));
        reference.weightsWrittenOnHost();
    }

    static void requireTokenizer(Path modelDir) {
        if (!Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
            throw new BadInputException(modelDir + ": no tokenizer.json (GRPO needs text to score)");
        }
    }
}
