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
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.TokenBatch;
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
import org.align4j.reward.RewardInput;
import org.align4j.reward.WeightedRewards;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.FinishReason;
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
public final class GrpoTrainer implements TrainingStep {
    private final GrpoConfig config;
    private final boolean resume;
    private final PrintStream log;
    /** Multi-turn rollouts with the config's tools; null without tools. */
    private org.align4j.rollout.tool.ToolRollout toolRollout;

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
    private GrpoLoss loss;
    private DataOrder order;
    private long position;
    private long total;
    private RolloutService rollouts;
    private List<PromptRow> stepRows;
    private CompletableFuture<List<CompletionGroup>> pending;
    private final MetricsWindow window = new MetricsWindow();
    private double lastReward = Double.NaN;

    public record Result(Path runDir, Path finalModel, long steps, double lastRewardMean, Double lastEvalAccuracy) {
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
        int len = config.maxPromptLength + config.maxCompletionLength;
        config.checkMemory(policy, reference != null && reference != policy, config.batchSize, len, config.completionsPerStep(), len);
        toolRollout = ToolUse.rollout(config, tokenizer);
        train = PromptRow.read(Paths.get(config.trainFile), tokenizer, config.maxPromptLength, 0,
                ToolUse.schemas(toolRollout));
        eval = config.evalFile == null ? List.of()
                : PromptRow.read(Paths.get(config.evalFile), tokenizer, config.maxPromptLength, config.evalLimit,
                ToolUse.schemas(toolRollout));
        outcome = config.processSupervision() ? null : RewardFactory.weighted(config.rewards);
        process = config.processSupervision() ? RewardFactory.process(config.rewards.get(0)) : null;
        checker = eval.isEmpty() ? null : RewardFactory.outcome(Map.of("type", "math_answer"));
        total = config.maxSteps > 0 ? config.maxSteps
                : config.totalSteps((train.size() + config.promptsPerStep() - 1) / config.promptsPerStep());
        opt = new Optimization(policy.parameters(), config, total * config.numIterations, policy.ops());
        resumeFrom.ifPresent(ck -> opt.load(ck.dir()));
        loss = new GrpoLoss(config.beta, config.epsilon, config.epsilonHighOrDefault(),
                LossType.parse(config.lossType), config.maxCompletionLength);
        order = new DataOrder(train.size(), config.seed);
        log.printf("grpo: %d prompts, %d steps of %d prompts x %d generations, policy of %,d parameters%n",
                train.size(), total, config.promptsPerStep(), config.numGenerations, policy.parameterCount());
        RolloutService.Options ro = RolloutService.Options.DEFAULTS
                .withMaxBatchSequences(Math.max(config.completionsPerStep(), config.numGenerations))
                .withMaxStaleness(config.asyncRollouts ? 1 : 0);
        rollouts = RolloutService.start(policy, tokenizer, startStep, ro);
        if (startStep < total) {
            stepRows = rows(train, order, position);
            pending = submit(request(stepRows, startStep).forVersion(startStep));
        }
        return total;
    }

    @Override
    public Report step(long step) {
        long t0 = System.nanoTime();
        List<CompletionGroup> groups = get(pending);
        List<PromptRow> rowsOfStep = stepRows;
        position += rowsOfStep.size();
        long t1 = System.nanoTime();
        if (config.asyncRollouts && step + 1 < total) {
            // the next batch is sampled by this version while the update below runs (one behind)
            stepRows = rows(train, order, position);
            pending = submit(request(stepRows, step + 1).forVersion(step + 1));
        }
        List<Map<String, Object>> dataRows = new ArrayList<>();
        for (PromptRow r : rowsOfStep) {
            dataRows.add(r.row());
        }
        List<RewardInput> inputs = ScoredGroups.inputs(groups, dataRows, tokenizer);
        ScoredGroups scored = process != null
                ? ScoredGroups.process(groups, inputs, process, config.scaleRewards)
                : ScoredGroups.outcome(groups, inputs, outcome, config.scaleRewards);
        long t2 = System.nanoTime();
        Map<String, Number> m = new LinkedHashMap<>();
        UpdateStats u = update(policy, reference, scored, loss, opt, step, m);
        long t3 = System.nanoTime();
        rollouts.publish(policy, step + 1);
        if (!config.asyncRollouts && step + 1 < total) {
            stepRows = rows(train, order, position);
            pending = submit(request(stepRows, step + 1).forVersion(step + 1));
        }
        if (config.syncRefModel && reference != null && (step + 1) % config.refModelSyncSteps == 0) {
            mixInto(reference, policy, config.refModelMixupAlpha);
        }
        lastReward = mean(scored.rewards);
        rewardMetrics(scored, m);
        m.put("timing/rollout_s", (t1 - t0) / 1e9);
        m.put("timing/reward_s", (t2 - t1) / 1e9);
        m.put("timing/update_s", (t3 - t2) / 1e9);
        m.put("rollout_tokens_per_s", u.completionTokens / Math.max((t1 - t0) / 1e9, 1e-9));
        m.put("update_tokens_per_s", u.sequenceTokens * config.numIterations / Math.max((t3 - t2) / 1e9, 1e-9));
        window.add(m);
        return new Report(u.loss, u.kl, u.last.gradNorm(), u.last.learningRate(), u.skippedUpdates, u.weightsFinite,
                u.completionTokens, Map.of("reward", lastReward, "kl", u.kl));
    }

    @Override
    public Map<String, Object> logs(long stepsDone) {
        return window.means();
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

    private List<PromptRow> rows(List<PromptRow> train, DataOrder order, long position) {
        List<PromptRow> out = new ArrayList<>();
        for (int i = 0; i < config.promptsPerStep(); i++) {
            out.add(train.get(order.at(position + i)));
        }
        return out;
    }

    private RolloutRequest request(List<PromptRow> rows, long step) {
        List<Prompt> prompts = new ArrayList<>();
        for (PromptRow r : rows) {
            prompts.add(r.prompt());
        }
        SamplingParams p = new SamplingParams(config.temperature, config.topP, config.topK,
                config.maxCompletionLength, config.stopStrings, config.seed * 1_000_003L + step);
        return RolloutRequest.of(prompts, config.numGenerations, p).withTools(toolRollout);
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

    private record UpdateStats(long completionTokens, long sequenceTokens, double loss, double kl,
                               Optimization.StepResult last, int skippedUpdates, boolean weightsFinite) {
    }

    /** num_iterations optimizer steps over the step's completions, in micro-batches of batch_size. */
    private UpdateStats update(CausalLM policy, CausalLM reference, ScoredGroups s, GrpoLoss loss, Optimization opt,
                               long step, Map<String, Number> m) {
        int n = s.completions.size();
        double[][] mask = new double[n][];
        long maskedTokens = 0;
        long completionTokens = 0;
        long sequenceTokens = 0;
        for (int i = 0; i < n; i++) {
            Completion c = s.completions.get(i);
            mask[i] = new double[c.length()];
            boolean drop = config.maskTruncatedCompletions && c.finishReason() == FinishReason.LENGTH;
            java.util.Arrays.fill(mask[i], drop ? 0.0 : 1.0);
            ToolUse.maskEnvironmentTokens(c, mask[i]);
            for (double v : mask[i]) {
                maskedTokens += (long) v;
            }
            completionTokens += c.length();
            sequenceTokens += c.length() + s.promptIds.get(i).length;
        }
        double[][] refLogp = reference == null ? null : referenceLogProbs(reference, s);
        double[][] oldLogp = config.numIterations > 1 ? completionLogProbs(policy, s).logp : null;
        double lossSum = 0;
        double klSum = 0;
        double low = 0;
        double high = 0;
        double region = 0;
        double entropy = 0;
        long entropyTokens = 0;
        Optimization.StepResult last = null;
        int skipped = 0;
        boolean weightsFinite = true;
        for (int it = 0; it < config.numIterations; it++) {
            for (int from = 0; from < n; from += config.batchSize) {
                int to = Math.min(n, from + config.batchSize);
                policy.setTraining(true);
                MicroBatch mb = forward(policy, s, from, to);
                policy.setTraining(false);
                double[][] old = oldLogp == null ? mb.logp : slice(oldLogp, from, to);
                GrpoLoss.Result r = loss.compute(mb.logp, old, refLogp == null ? null : slice(refLogp, from, to),
                        slice(s.advantages, from, to), slice(mask, from, to), n, maskedTokens);
                mb.backward(r.dLogp);
                lossSum += r.loss;
                if (it == 0) {
                    klSum += r.meanKl * r.tokens;
                    low += r.clipRatioLow * r.tokens;
                    high += r.clipRatioHigh * r.tokens;
                    region += r.clipRatioRegion * r.tokens;
                    for (int i = 0; i < mb.entropy.length; i++) {
                        for (int t = 0; t < mb.entropy[i].length; t++) {
                            entropy += mb.entropy[i][t] * mask[from + i][t];
                            entropyTokens += (long) mask[from + i][t];
                        }
                    }
                }
            }
            last = opt.step(step * config.numIterations + it);
            skipped += last.skipped() ? 1 : 0;
            weightsFinite &= last.weightsFinite();
        }
        double tokens = Math.max(1, maskedTokens);
        m.put("loss", lossSum / config.numIterations);
        m.put("kl", klSum / tokens);
        m.put("clip_ratio/low_mean", low / tokens);
        m.put("clip_ratio/high_mean", high / tokens);
        m.put("clip_ratio/region_mean", region / tokens);
        m.put("entropy", entropyTokens == 0 ? 0.0 : entropy / entropyTokens);
        return new UpdateStats(completionTokens, sequenceTokens, lossSum / config.numIterations, klSum / tokens, last,
                skipped, weightsFinite);
    }

    private static double[][] slice(double[][] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }

    /** Completion-token log-probs (and entropies) of completions [from, to) from one teacher-forced pass. */
    private static final class MicroBatch {
        Forward forward;
        double[][] logp;
        double[][] entropy;
        int[] promptLengths;

        void backward(double[][] dCompletionLogp) {
            double[][] full = new double[logp.length][];
            TokenBatch b = forward.batch();
            for (int i = 0; i < logp.length; i++) {
                full[i] = new double[b.length(i) - 1];
                System.arraycopy(dCompletionLogp[i], 0, full[i], promptLengths[i] - 1, dCompletionLogp[i].length);
            }
            forward.backward(full);
        }
    }

    private static MicroBatch forward(CausalLM model, ScoredGroups s, int from, int to) {
        MicroBatch mb = new MicroBatch();
        List<int[]> seqs = new ArrayList<>();
        mb.promptLengths = new int[to - from];
        for (int i = from; i < to; i++) {
            int[] p = s.promptIds.get(i);
            int[] c = s.completions.get(i).ids();
            int[] seq = java.util.Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, seq, p.length, c.length);
            seqs.add(seq);
            mb.promptLengths[i - from] = p.length;
        }
        mb.forward = model.forward(TokenBatch.of(seqs));
        double[][] all = mb.forward.tokenLogProbs();
        double[][] ent = mb.forward.tokenEntropies();
        mb.logp = new double[to - from][];
        mb.entropy = new double[to - from][];
        for (int i = 0; i < to - from; i++) {
            int cl = s.completions.get(from + i).length();
            mb.logp[i] = java.util.Arrays.copyOfRange(all[i], mb.promptLengths[i] - 1, mb.promptLengths[i] - 1 + cl);
            mb.entropy[i] = java.util.Arrays.copyOfRange(ent[i], mb.promptLengths[i] - 1, mb.promptLengths[i] - 1 + cl);
        }
        return mb;
    }

    /** Completion log-probs under the reference: the model with its LoRA adapters off, if it has any. */
    private double[][] referenceLogProbs(CausalLM reference, ScoredGroups s) {
        boolean adapters = reference.adaptersEnabled();
        reference.setAdaptersEnabled(false);
        try {
            return completionLogProbs(reference, s).logp;
        } finally {
            reference.setAdaptersEnabled(adapters);
        }
    }

    private MicroBatch completionLogProbs(CausalLM model, ScoredGroups s) {
        MicroBatch whole = new MicroBatch();
        int n = s.completions.size();
        whole.logp = new double[n][];
        for (int from = 0; from < n; from += config.batchSize) {
            int to = Math.min(n, from + config.batchSize);
            MicroBatch mb = forward(model, s, from, to);
            System.arraycopy(mb.logp, 0, whole.logp, from, to - from);
        }
        return whole;
    }

    /** reference <- alpha * policy + (1 - alpha) * reference (TRL's ref_model_mixup_alpha). */
    private static void mixInto(CausalLM reference, CausalLM policy, double alpha) {
        Map<String, INDArray> pw = policy.weights();
        reference.editWeights(rw -> rw.forEach((name, v) -> v.muli(1 - alpha).addi(pw.get(name).mul(alpha))));
    }

    private void rewardMetrics(ScoredGroups s, Map<String, Number> m) {
        m.put("reward", mean(s.rewards));
        double stdSum = 0;
        for (int p = 0; p < s.groups; p++) {
            double[] r = java.util.Arrays.copyOfRange(s.rewards, p * s.groupSize, (p + 1) * s.groupSize);
            stdSum += Advantages.sampleStd(r, Advantages.mean(r));
        }
        m.put("reward_std", stdSum / s.groups);
        if (s.perFunction != null) {
            for (int f = 0; f < s.perFunction.names().size(); f++) {
                m.put("rewards/" + s.perFunction.names().get(f) + "/mean", s.perFunction.mean(f));
            }
        }
        m.put("frac_reward_zero_std", (double) s.zeroStdGroups / s.groups);
        double aSum = 0;
        double aSq = 0;
        long aN = 0;
        int maxLen = 0;
        int minLen = Integer.MAX_VALUE;
        long lenSum = 0;
        int truncated = 0;
        for (int i = 0; i < s.completions.size(); i++) {
            Completion c = s.completions.get(i);
            if (s.advantages[i].length > 0) {
                aSum += s.advantages[i][0];
                aSq += s.advantages[i][0] * s.advantages[i][0];
                aN++;
            }
            maxLen = Math.max(maxLen, c.length());
            minLen = Math.min(minLen, c.length());
            lenSum += c.length();
            if (c.finishReason() == FinishReason.LENGTH) {
                truncated++;
            }
        }
        double am = aN == 0 ? 0 : aSum / aN;
        m.put("advantages/mean", am);
        m.put("advantages/std", aN == 0 ? 0 : Math.sqrt(Math.max(0, aSq / aN - am * am)));
        m.put("completions/mean_length", (double) lenSum / s.completions.size());
        m.put("completions/max_length", maxLen);
        m.put("completions/min_length", minLen);
        m.put("completions/clipped_ratio", (double) truncated / s.completions.size());
        if (toolRollout != null) {
            ToolUse.metrics(s.completions, m);
        }
    }

    private static double mean(double[] x) {
        return Advantages.mean(x);
    }

    static void requireTokenizer(Path modelDir) {
        if (!Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
            throw new BadInputException(modelDir + ": no tokenizer.json (GRPO needs text to score)");
        }
    }
}
