package org.align4j.examples.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.align4j.examples.eval.EvalReport;
import org.align4j.examples.eval.EvalSettings;
import org.align4j.examples.io.Jsonl;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.sft.SftTrainer;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.Rng;

/**
 * The demo pipeline both tasks run, one announced and timed phase after another: generate the task's data
 * (train/dev/test), train a byte-level BPE on the training text, supervise a tiny Llama from scratch on the
 * solutions (SFT), evaluate it on the held-out test set, improve it with GRPO against the task's reward, evaluate
 * the GRPO model on the same set, and write summary.json. The phases, their order, the output layout and the
 * seeds are the pipeline's; a task ({@link MiniDeepSeekMath}, {@link MiniCodeRl}) supplies its data, its held-out
 * evaluation, its reward and its summary, so that both demos ask their question the same way: does RL on an
 * outcome reward raise held-out Pass@1, and how?
 *
 * @param <H> the greedy habit the task counts on the held-out set
 * @param <S> the task's summary.json
 */
public abstract class DemoPipeline<H extends GreedyHabit, S> {
    /** Tokens allowed beyond the longest training solution, so that a slightly longer answer is not cut. */
    private static final int COMPLETION_MARGIN = 8;
    private static final int EVAL_BATCH_SEQUENCES = 256;

    private final DemoPipelineConfig config;
    protected final DemoOutput out;
    protected final PrintStream log;
    protected final Phases phases;

    /** The tokenizer trained in the tokenizer phase. */
    protected Tokenizer tokenizer;
    /** Tokens a completion may have, fixed in the tokenizer phase. */
    protected int maxCompletion;
    private ModelConfig modelConfig;

    /**
     * A task's generated data: the rows of train.jsonl, dev.jsonl and test.jsonl; the tokenizer's training text (in
     * order: each training row's prompt, then its completion); the solutions whose longest tokenization sizes the
     * completions; and what the data phase says of the training and test rows.
     */
    protected record DemoData(List<?> train, List<?> dev, List<?> test, List<String> tokenizerText,
                              List<String> solutions, String trainNote, String testNote) {
    }

    /** One model's held-out result: its metrics, the rows of eval/NAME.jsonl, and its greedy habit. */
    protected record HeldOutResult<H>(EvalReport report, List<?> rows, H habit) {
    }

    /** The task's held-out test set, open from before RL to after it (the code task's sandboxes stay up). */
    protected interface HeldOutTest<H> extends AutoCloseable {
        int size();

        /** How completions are scored, appended to the eval_before line: empty, or ", unit tests in ...". */
        default String scoring() {
            return "";
        }

        HeldOutResult<H> evaluate(CausalLM model);

        @Override
        default void close() {
        }
    }

    /** What GRPO produced. @param iterations outer iterations of iterative RL (their plots are listed), else 0 */
    protected record Reinforced(Path policy, long steps, double lastReward, int iterations) {
    }

    protected DemoPipeline(DemoPipelineConfig config, DemoOutput out, PrintStream log, int phaseCount) {
        this.config = config;
        this.out = out;
        this.log = log;
        this.phases = new Phases(log, phaseCount);
    }

    /** "problems" or "tasks": what the task calls one row, in the phase lines. */
    protected abstract String itemNoun();

    /** What the data phase generates, e.g. "easy math word problems". */
    protected abstract String dataDescription();

    protected abstract DemoData generate();

    /** Opens the held-out evaluation of test.jsonl with these settings. */
    protected abstract HeldOutTest<H> heldOutTest(EvalSettings settings);

    /** The RL phases between the two evaluations; each ends in {@link #grpoPhase}. */
    protected abstract Reinforced reinforce(Path sftModel);

    /** The task's summary.json from the two evaluations and what the pipeline trained. */
    protected abstract S summary(HeldOutResult<H> before, HeldOutResult<H> after, int heldOut, DemoTraining training);

    public final S run() {
        DemoData data = data();
        tokenizer(data);
        SftTrainer.Result sft = sft();
        EvalSettings eval = new EvalSettings(config.k, config.evalSamples, config.evalTemperature, 1.0, maxCompletion,
                config.seed, EVAL_BATCH_SEQUENCES);
        try (HeldOutTest<H> test = heldOutTest(eval)) {
            phases.start("eval_before", "the SFT model on " + test.size() + " held-out " + itemNoun() + " (greedy, and "
                    + config.evalSamples + " samples each)" + test.scoring());
            HeldOutResult<H> before = evaluate(test, sft.finalModel(), "before");
            phases.done(oneLine(before));

            Reinforced rl = reinforce(sft.finalModel());

            phases.start("eval_after", "the GRPO model on the same " + itemNoun());
            HeldOutResult<H> after = evaluate(test, rl.policy(), "after");
            phases.done(oneLine(after));

            phases.start("summary", "writing " + out.summary());
            phases.done(out.summary().toString());
            DemoTraining training = new DemoTraining(modelConfig.parameterCount(), tokenizer.vocabSize(), sft.steps(),
                    sft.lastLoss(), rl.steps(), rl.lastReward(), maxCompletion, sft.finalModel().toString(),
                    rl.policy().toString(), plots(rl.iterations()), phases.wallSeconds(), phases.cpuSeconds());
            S summary = summary(before, after, test.size(), training);
            AtomicFiles.writeJson(out.summary(), summary);
            return summary;
        }
    }

    private DemoData data() {
        phases.start("data", "generating " + dataDescription() + " (seed " + config.seed + ")");
        DemoData data = generate();
        Jsonl.write(out.trainFile(), data.train());
        Jsonl.write(out.devFile(), data.dev());
        Jsonl.write(out.testFile(), data.test());
        phases.done(data.train().size() + " train (" + data.trainNote() + "), " + data.dev().size() + " dev, "
                + data.test().size() + " held-out test " + itemNoun() + data.testNote() + " in " + out.dir());
        return data;
    }

    private void tokenizer(DemoData data) {
        phases.start("tokenizer", "training a " + config.vocabSize + "-token byte-level BPE on the training text");
        BpeTrainer bpe = BpeTrainer.deepSeekStyle(config.vocabSize);
        data.tokenizerText().forEach(bpe::add);
        bpe.train().save(out.tokenizer());
        tokenizer = Tokenizer.load(out.tokenizer());
        int longest = 0;
        for (String solution : data.solutions()) {
            longest = Math.max(longest, tokenizer.encode(solution, false).length + 1); // + eos
        }
        maxCompletion = config.maxCompletionLength > 0 ? config.maxCompletionLength : longest + COMPLETION_MARGIN;
        phases.done(tokenizer.vocabSize() + " tokens in " + out.tokenizer() + "; completions up to " + maxCompletion
                + " tokens");
    }

    private SftTrainer.Result sft() {
        modelConfig = ModelConfig.llama(config.vocabSize, config.hiddenSize, config.intermediateSize,
                config.numHiddenLayers, config.numAttentionHeads, config.numKeyValueHeads,
                config.maxPositionEmbeddings, tokenizer.bosId(), new int[] {tokenizer.eosId()});
        AtomicFiles.writeJson(out.initConfig(), modelConfig.toJson());
        phases.start("sft", String.format(Locale.ROOT, "a new %,d-parameter model (d %d, %d layers), %d steps of %d "
                        + "solutions", modelConfig.parameterCount(), config.hiddenSize, config.numHiddenLayers,
                config.sftSteps, config.sftBatchSize));
        SftConfig c = new SftConfig();
        c.initConfig = out.initConfig().toString();
        c.tokenizer = out.tokenizer().toString();
        c.trainFile = out.trainFile().toString();
        c.evalFile = out.devFile().toString();
        c.outputDir = out.sftRun().toString();
        c.maxLength = config.maxPositionEmbeddings;
        c.maxSteps = config.sftSteps;
        c.batchSize = config.sftBatchSize;
        c.learningRate = config.sftLearningRate;
        c.lrSchedulerType = "cosine";
        c.warmupRatio = 0.05;
        c.loggingSteps = Math.max(1, (int) (config.sftSteps / 50));
        c.evalSteps = Math.max(1, (int) (config.sftSteps / 10));
        c.saveSteps = 0; // the demo keeps only the final model
        c.seed = config.seed;
        c.validate();
        SftTrainer.Result r = new SftTrainer(c, false, log).train();
        phases.done(String.format(Locale.ROOT, "loss %.3f, model in %s", r.lastLoss(), r.finalModel()));
        return r;
    }

    /**
     * GRPO on the SFT model with the demo's sizes; the task adds its reward and validates. The dev set is scored
     * devEvaluations times over the run.
     */
    protected final GrpoConfig grpoConfig(Path sftModel, int devEvaluations) {
        GrpoConfig c = new GrpoConfig();
        c.modelNameOrPath = sftModel.toString();
        c.trainFile = out.trainFile().toString();
        c.evalFile = out.devFile().toString();
        c.evalSteps = Math.max(1, (int) (config.grpoSteps / devEvaluations));
        c.outputDir = out.grpoRun().toString();
        c.numGenerations = config.numGenerations;
        c.batchSize = config.grpoPromptsPerStep * config.numGenerations;
        c.gradientAccumulationSteps = 1;
        c.maxPromptLength = config.maxPositionEmbeddings - maxCompletion;
        c.maxCompletionLength = maxCompletion;
        c.temperature = config.grpoTemperature;
        c.learningRate = config.grpoLearningRate;
        c.beta = config.beta;
        c.maxSteps = config.grpoSteps;
        c.loggingSteps = 1;
        c.saveSteps = 0;
        c.seed = config.seed;
        return c;
    }

    /** The grpo phase: announced with how it is rewarded, trained by train, ended with its last step's reward. */
    protected final Reinforced grpoPhase(String reward, Supplier<Reinforced> train) {
        phases.start("grpo", config.grpoSteps + " steps of " + config.grpoPromptsPerStep + " prompts x "
                + config.numGenerations + " completions, " + reward);
        Reinforced r = train.get();
        phases.done(String.format(Locale.ROOT, "mean reward of the last step %.3f, model in %s", r.lastReward(),
                r.policy()));
        return r;
    }

    /** One GRPO run (not iterative). */
    protected final Reinforced trainGrpo(GrpoConfig c) {
        GrpoTrainer.Result r = new GrpoTrainer(c, false, log).train();
        return new Reinforced(r.finalModel(), r.steps(), r.lastRewardMean(), 0);
    }

    /**
     * The rows with a seeded share of them replaced by their variant (a bare answer, a hard-coded output): the SFT
     * data then teaches two habits, and RL can learn which one earns the reward. The seed's own stream (seed ^
     * salt) picks the rows, so the share does not shift the other random streams.
     */
    protected static <T> List<T> withSeededShare(List<T> rows, double share, long seed, long salt,
                                                 UnaryOperator<T> variant) {
        int n = (int) Math.round(share * rows.size());
        int[] order = new Rng(seed ^ salt).permutation(rows.size());
        List<T> res = new ArrayList<>(rows);
        for (int i = 0; i < n; i++) {
            res.set(order[i], variant.apply(rows.get(order[i])));
        }
        return res;
    }

    /** The greedy habits of the two evaluations keyed before and after, as summary.json holds them. */
    protected static <H> Map<String, H> habits(HeldOutResult<H> before, HeldOutResult<H> after) {
        Map<String, H> habits = new LinkedHashMap<>();
        habits.put("before", before.habit());
        habits.put("after", after.habit());
        return habits;
    }

    private HeldOutResult<H> evaluate(HeldOutTest<H> test, Path modelDir, String name) {
        CausalLM model = PeftAdapter.loadModel(modelDir, null, Backends.current()); // a LoRA run's final/ loads on its base
        HeldOutResult<H> r = test.evaluate(model);
        Jsonl.write(out.evalRows(name), r.rows());
        return r;
    }

    private static String oneLine(HeldOutResult<? extends GreedyHabit> r) {
        EvalReport report = r.report();
        return String.format(Locale.ROOT, "Pass@1 %.1f%%, Maj@%d %.1f%%, Pass@%d %.1f%%; %s", 100 * report.pass1(),
                report.k(), 100 * report.majAtK(), report.k(), 100 * report.passAtK(), r.habit().describe());
    }

    /** The metrics plots the trainers drew: SFT, the reward model and GRPO (per iteration too, when iterative). */
    private Map<String, String> plots(int iterations) {
        Map<String, String> plots = new LinkedHashMap<>();
        plot(plots, "sft", out.sftRun().resolve("metrics.png"));
        plot(plots, "reward_model", out.rewardRun().resolve("metrics.png"));
        plot(plots, "grpo", out.grpoRun().resolve("metrics.png"));
        for (int k = 1; k <= iterations; k++) {
            plot(plots, "grpo_iteration_" + k, out.grpoRun().resolve("iter-" + k + "/metrics.png"));
        }
        return plots;
    }

    private static void plot(Map<String, String> plots, String name, Path png) {
        if (Files.isRegularFile(png)) {
            plots.put(name, png.toString());
        }
    }
}
