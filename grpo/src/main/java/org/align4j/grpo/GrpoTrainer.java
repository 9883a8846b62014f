package org.align4j.grpo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.MetricsWindow;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainedModel;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.train.TrainingLoop;
import org.align4j.policy.train.TrainingStep;
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
 * advantages, and take num_iterations optimizer steps on the GRPO loss ({@link GrpoStep}) against a frozen
 * reference. A step in max_steps is one batch of rollouts; the learning-rate schedule counts optimizer
 * steps (max_steps x num_iterations).
 */
public final class GrpoTrainer implements TrainingStep {
    private final GrpoConfig config;
    private final boolean resume;
    private final PrintStream log;

    private Path modelDir;
    private Tokenizer tokenizer;
    private CausalLM policy;
    private CausalLM reference;
    private List<PromptRow> train;
    private List<PromptRow> eval;
    private WeightedRewards outcome;
    private ProcessReward process;
    private OutcomeReward checker;
    private Optimization opt;
    private GrpoStep grpoStep;
    private DataOrder order;
    private long position;
    private long total;
    private RolloutService rollouts;
    private List<PromptRow> stepRows;
    private CompletableFuture<List<CompletionGroup>> pending;
    /** Multi-turn rollouts with the config's tools; null without tools. */
    private org.align4j.rollout.tool.ToolRollout toolRollout;
    private final MetricsWindow window = new MetricsWindow();
    private double lastReward = Double.NaN;
    private CompletionLog completionLog;

    public record Result(Path runDir, Path finalModel, long steps, double lastRewardMean, Double lastEvalAccuracy) {
        /** What the grpo command prints (one JSON object): run_dir, final_model, steps, reward and eval_accuracy. */
        public Map<String, Object> summary() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("run_dir", runDir.toString());
            out.put("final_model", finalModel.toString());
            out.put("steps", steps);
            out.put("reward", lastRewardMean);
            if (lastEvalAccuracy != null) {
                out.put("eval_accuracy", lastEvalAccuracy);
            }
            return out;
        }
    }

    public GrpoTrainer(GrpoConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        TrainingLoop.Outcome o = new TrainingLoop(config, resume, log).run(this);
        Object acc = o.lastEval().get("eval_accuracy");
        return new Result(o.runDir(), o.finalModel(), o.steps(), lastReward,
                acc == null ? null : ((Number) acc).doubleValue());
    }

    @Override
    public String name() {
        return "grpo";
    }

    @Override
    public String unit() {
        return "tok";
    }

    @Override
    public long prepare(Optional<RunDirectory.Checkpoint> resumeFrom) {
        requireRankLocalAdvantages(config);
        modelDir = Paths.get(config.modelNameOrPath);
        requireTokenizer(modelDir);
        tokenizer = Tokenizer.load(modelDir);
        long startStep = 0;
        if (resumeFrom.isPresent()) {
            RunDirectory.Checkpoint ck = resumeFrom.get();
            policy = TrainedModel.resumed(ck.dir().resolve(RunDirectory.MODEL_DIR), modelDir, Backends.current());
            if (config.beta != 0 && policy.hasAdapters()) {
                reference = policy;
            } else if (config.beta != 0) {
                Path refDir = ck.dir().resolve("ref_model");
                reference = HfCheckpoint.load(Files.isDirectory(refDir) ? refDir : modelDir, Backends.current());
            }
            TrainerState state = ck.state();
            startStep = state.step();
            position = state.dataPosition();
        } else {
            policy = HfCheckpoint.load(modelDir, Backends.current());
            TrainedModel.adapt(policy, config);
            if (config.beta != 0) {
                // a LoRA policy is its own reference, with its adapters off: no second copy of the weights
                reference = policy.hasAdapters() ? policy : policy.copy();
            }
        }
        config.applyTo(policy);
        config.applyToReference(reference, policy);
        int len = config.maxPromptLength + config.maxCompletionLength;
        config.checkMemory(policy, reference != null && reference != policy, config.batchSize, len,
                config.completionsPerStep(), len, config.asyncRollouts);
        toolRollout = ToolUse.rollout(config, tokenizer);
        train = PromptRow.read(Paths.get(config.trainFile), tokenizer, config.maxPromptLength, 0,
                ToolUse.schemas(toolRollout));
        eval = config.evalFile == null ? List.of()
                : PromptRow.read(Paths.get(config.evalFile), tokenizer, config.maxPromptLength, config.evalLimit,
                ToolUse.schemas(toolRollout));
        outcome = config.processSupervision() ? null : RewardFactory.weighted(config.rewardsWithExecutor());
        process = config.processSupervision() ? RewardFactory.process(config.rewardsWithExecutor().get(0)) : null;
        checker = eval.isEmpty() ? null : RewardFactory.outcome(Map.of("type", "math_answer"));
        int promptsOfStep = config.promptsPerStep() * config.collective().size();
        total = config.maxSteps > 0 ? config.maxSteps
                : config.totalSteps((train.size() + promptsOfStep - 1) / promptsOfStep);
        opt = new Optimization(policy.parameters(), config, total * config.numIterations, policy.ops());
        opt.afterEachStep(r -> policy.afterOptimizerStep(!r.skipped()));
        resumeFrom.ifPresent(ck -> opt.load(ck.dir()));
        grpoStep = new GrpoStep(config, policy, reference, tokenizer, outcome, process, opt, log, toolRollout != null);
        order = new DataOrder(train.size(), config.seed);
        log.printf("grpo: %d prompts, %d steps of %d prompts x %d generations, policy of %,d parameters%n",
                train.size(), total, config.promptsPerStep(), config.numGenerations, policy.parameterCount());
        RolloutService.Options ro = RolloutService.Options.DEFAULTS
                .withMaxBatchSequences(Math.max(config.completionsPerStep(), config.numGenerations))
                .withMaxStaleness(config.asyncRollouts ? 1 : 0);
        if (config.asyncRollouts) {
            // the worker samples one version behind from its own copy of the weights, while the trainer updates
            rollouts = RolloutService.start(policy, tokenizer, startStep, ro);
            if (startStep < total) {
                submitRollouts(startStep);
            }
        } else {
            // on-policy: the worker samples with the policy itself (no second copy of the weights) at the start of
            // each step, while the trainer waits for it
            rollouts = RolloutService.sharing(policy, tokenizer, startStep, ro);
        }
        return total;
    }

    /** What step() is doing (read by the loop's out-of-memory message). */
    private volatile String phase = "rollout: sampling the completions";

    @Override
    public String phase() {
        return phase;
    }

    @Override
    public Report step(long step) {
        long t0 = System.nanoTime();
        phase = "rollout: sampling the completions";
        if (pending == null) {
            submitRollouts(step); // on-policy rollouts share the policy: sampled now, while nothing else uses it
        }
        List<CompletionGroup> groups = get(pending);
        pending = null;
        List<PromptRow> rowsOfStep = stepRows;
        position += (long) rowsOfStep.size() * config.collective().size();
        long t1 = System.nanoTime();
        Map<String, Number> m = new LinkedHashMap<>();
        // dynamic sampling draws further prompts, sampled by the current policy, before the next batch's
        GrpoStep.MoreSamples more = genBatch -> {
            List<PromptRow> r = rows(train, order, position);
            position += (long) r.size() * config.collective().size();
            return new GrpoStep.Batch(get(submit(request(r, step, genBatch).forVersion(step))), r);
        };
        phase = "reward: scoring the completions (with dynamic_sampling, sampling more)";
        ScoredGroups scored = grpoStep.collect(new GrpoStep.Batch(groups, rowsOfStep), more, m);
        long t2 = System.nanoTime();
        if (config.asyncRollouts && step + 1 < total) {
            // the next batch is sampled by this version while the update below runs (one behind)
            submitRollouts(step + 1);
        }
        phase = "update: log-probs, loss, backward and optimizer step";
        GrpoStep.Stats u = grpoStep.update(scored, step, m);
        long t3 = System.nanoTime();
        rollouts.publish(policy, step + 1);
        if (config.syncRefModel && reference != null && (step + 1) % config.refModelSyncSteps == 0) {
            mixInto(reference, policy, config.refModelMixupAlpha);
        }
        if (scored.groups > 0) {
            lastReward = GrpoStep.nanMean(scored.rewards);
            if (completionLog != null) {
                completionLog.record(scored);
            }
        }
        m.put("timing/rollout_s", (t1 - t0) / 1e9);
        m.put("timing/reward_s", (t2 - t1) / 1e9);
        m.put("timing/update_s", (t3 - t2) / 1e9);
        m.put("rollout_tokens_per_s", u.completionTokens() / Math.max((t1 - t0) / 1e9, 1e-9));
        m.put("update_tokens_per_s", u.sequenceTokens() * config.numIterations / Math.max((t3 - t2) / 1e9, 1e-9));
        window.add(m);
        return new Report(u.loss(), u.kl(), u.gradNorm(), u.learningRate(), u.skippedUpdates(), u.weightsFinite(),
                u.completionTokens(), Map.of("reward", lastReward, "kl", u.kl()));
    }

    @Override
    public Map<String, Object> logs(long stepsDone) {
        if (completionLog != null) {
            completionLog.write(stepsDone);
        }
        Map<String, Object> m = new LinkedHashMap<>(window.means());
        m.putAll(policy.takeMoeLoadMetrics());
        return m;
    }

    @Override
    public void begin(RunDirectory run) {
        completionLog = config.logCompletions ? new CompletionLog(run.dir(), log) : null;
    }

    @Override
    public boolean hasEval() {
        return checker != null;
    }

    @Override
    public Map<String, Object> evaluate() {
        return Map.of("eval_accuracy", HeldOutAccuracy.evaluate(policy, tokenizer, eval, checker,
                config.maxCompletionLength, config.stopStrings));
    }

    @Override
    public TrainerState state(long stepsDone) {
        return new TrainerState(stepsDone, null, position);
    }

    @Override
    public Optimization optimization() {
        return opt;
    }

    @Override
    public void saveCheckpoint(Path dir) {
        TrainedModel.save(policy, dir.resolve(RunDirectory.MODEL_DIR), modelDir, modelDir);
        if (config.syncRefModel && reference != null) {
            HfCheckpoint.save(reference, dir.resolve("ref_model"), null);
        }
        opt.save(dir);
    }

    @Override
    public void saveFinal(Path dir) {
        TrainedModel.save(policy, dir, modelDir, modelDir);
    }

    @Override
    public List<String> plotted() {
        return List.of("reward", "reward_std", "eval_accuracy", "kl", "loss", "entropy", "clip_ratio/region_mean",
                "completions/mean_length", "frac_reward_zero_std", "grad_norm");
    }

    /** Stops the rollout threads and the reward functions (code sandboxes). */
    @Override
    public void close() {
        try (RolloutService r = rollouts; WeightedRewards o = outcome; ProcessReward p = process;
             OutcomeReward c = checker) {
            pending = null;
        }
    }

    /**
     * This rank's prompts of the generation batch that starts at data position {@code position}: the batch holds
     * prompts_per_step prompts per rank, and each rank takes its contiguous share (a group never straddles ranks).
     */
    private List<PromptRow> rows(List<PromptRow> train, DataOrder order, long position) {
        List<PromptRow> out = new ArrayList<>();
        long first = position + (long) config.collective().rank() * config.promptsPerStep();
        for (int i = 0; i < config.promptsPerStep(); i++) {
            out.add(train.get(order.at(first + i)));
        }
        return out;
    }

    /** Queues the rollouts of step's batch (the prompts at the current data position) for policy version step. */
    private void submitRollouts(long step) {
        stepRows = rows(train, order, position);
        pending = submit(request(stepRows, step, 0).forVersion(step));
    }

    /** genBatch: the generation batch within the step (dynamic sampling draws more than one), for its seed. */
    private RolloutRequest request(List<PromptRow> rows, long step, int genBatch) {
        List<Prompt> prompts = new ArrayList<>();
        for (PromptRow r : rows) {
            prompts.add(r.prompt());
        }
        SamplingParams p = new SamplingParams(config.temperature, config.topP, config.topK,
                config.maxCompletionLength, config.stopStrings, config.seed * 1_000_003L + step + 7_919L * 1_000_003L * genBatch);
        // a rank's prompts sample what they would in one process sampling the whole batch
        return RolloutRequest.of(prompts, config.numGenerations, p).withTools(toolRollout)
                .startingAtPrompt(config.collective().rank() * config.promptsPerStep());
    }

    private CompletableFuture<List<CompletionGroup>> submit(RolloutRequest r) {
        try {
            return rollouts.submit(r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while queueing rollouts", e);
        }
    }

    private static List<CompletionGroup> get(CompletableFuture<List<CompletionGroup>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for rollouts", e);
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
        reference.editWeights(rw -> rw.forEach((name, v) -> v.muli(1 - alpha).addi(pw.get(name).mul(alpha))));
    }

    static void requireTokenizer(Path modelDir) {
        if (!Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
            throw new BadInputException(modelDir + ": no tokenizer.json (GRPO needs text to score)");
        }
    }

    /**
     * Advantages are computed on each rank from its own groups: statistics over the whole batch (scale_rewards
     * batch, REINFORCE++'s whitening) would differ from one rank's, so several ranks refuse them.
     */
    static void requireRankLocalAdvantages(GrpoConfig config) {
        if (config.collective().size() == 1) {
            return;
        }
        if (org.align4j.grpo.advantage.ScaleRewards.parse(config.scaleRewards)
                == org.align4j.grpo.advantage.ScaleRewards.BATCH) {
            throw new BadInputException("scale_rewards: batch normalises over the whole batch, which "
                    + config.collective().size() + " data-parallel ranks do not share; use group or none");
        }
        if (config.advantageEstimator.startsWith("reinforce_plus_plus")) {
            throw new BadInputException("advantage_estimator: " + config.advantageEstimator + " whitens over the "
                    + "whole batch, which data-parallel ranks do not share; use grpo or rloo");
        }
    }
}
