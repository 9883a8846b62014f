package org.align4j.examples.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.examples.code.FunctionTask;
import org.align4j.examples.code.FunctionTasks;
import org.align4j.examples.eval.EvalSettings;
import org.align4j.examples.eval.UnitTestEvaluator;
import org.align4j.examples.io.Jsonl;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.sft.SftTrainer;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.Rng;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.UnitTestReward;

/**
 * The code demo: generate short Python function tasks (spec and example -> {@code def f(...)}, unit tests; a
 * train/test split by function), train a byte-level BPE on them, supervise a tiny Llama from scratch on the
 * solutions (the general function, or for shortcut_share of them the example's output hard-coded), evaluate it on
 * held-out tasks by running their unit tests in the sandbox, improve it with GRPO whose reward is those unit
 * tests ({@code python_tests}, all-or-nothing), and evaluate again. The question is the math demo's: does RL on
 * an outcome reward raise held-out Pass@1, and how?
 */
public final class MiniCodeRl {
    /** Tokens allowed beyond the longest training solution, so that a slightly longer answer is not cut. */
    private static final int COMPLETION_MARGIN = 8;
    private static final int EVAL_BATCH_SEQUENCES = 256;

    private final CodeDemoConfig config;
    private final DemoOutput out;
    private final PrintStream log;
    private final Phases phases;

    private List<FunctionTask> train;
    private Tokenizer tokenizer;
    private int maxCompletion;
    private ModelConfig modelConfig;

    public MiniCodeRl(CodeDemoConfig config, DemoOutput out, PrintStream log) {
        this.config = config;
        this.out = out;
        this.log = log;
        this.phases = new Phases(log, 7);
    }

    public CodeDemoSummary run() {
        List<FunctionTask> test = data();
        tokenizer();
        SftTrainer.Result sft = sft();
        List<UnitTestEvaluator.Task> tasks = test.stream()
                .map(t -> new UnitTestEvaluator.Task(t.id(), t.prompt(), t.tests())).toList();
        EvalSettings eval = new EvalSettings(config.k, config.evalSamples, config.evalTemperature, 1.0, maxCompletion,
                config.seed, EVAL_BATCH_SEQUENCES);
        try (UnitTestReward tests = new UnitTestReward(Language.PYTHON, rewardParams())) {
            String sandbox = tests.runner().isolation().describe();
            phases.start("eval_before", "the SFT model on " + tasks.size() + " held-out tasks (greedy, and "
                    + config.evalSamples + " samples each), unit tests in the sandbox (" + sandbox + ")");
            UnitTestEvaluator.Result before = evaluate(sft.finalModel(), eval, tasks, tests, "before");
            HardCoding habitBefore = HardCoding.of(before.rows());
            phases.done(oneLine(before, habitBefore));

            phases.start("grpo", config.grpoSteps + " steps of " + config.grpoPromptsPerStep + " prompts x "
                    + config.numGenerations + " completions, reward: the unit tests (python_tests, all pass or 0)");
            GrpoTrainer.Result r = new GrpoTrainer(grpoConfig(sft.finalModel()), false, log).train();
            phases.done(String.format(Locale.ROOT, "mean reward of the last step %.3f, model in %s",
                    r.lastRewardMean(), r.finalModel()));

            phases.start("eval_after", "the GRPO model on the same tasks");
            UnitTestEvaluator.Result after = evaluate(r.finalModel(), eval, tasks, tests, "after");
            HardCoding habitAfter = HardCoding.of(after.rows());
            phases.done(oneLine(after, habitAfter));

            phases.start("summary", "writing " + out.summary());
            phases.done(out.summary().toString());
            Map<String, HardCoding> habits = new LinkedHashMap<>();
            habits.put("before", habitBefore);
            habits.put("after", habitAfter);
            CodeDemoSummary summary = new CodeDemoSummary("code", before.report(), after.report(), habits, config.k,
                    tasks.size(), config.seed, config.evalSamples, config.evalTemperature, train.size(),
                    config.shortcutShare, modelConfig.parameterCount(), tokenizer.vocabSize(), sft.steps(),
                    sft.lastLoss(), r.steps(), r.lastRewardMean(), maxCompletion, sandbox, sft.finalModel().toString(),
                    r.finalModel().toString(), plots(), phases.wallSeconds(), phases.cpuSeconds());
            AtomicFiles.writeJson(out.summary(), summary);
            return summary;
        }
    }

    private List<FunctionTask> data() {
        phases.start("data", "generating Python function tasks (seed " + config.seed + ")");
        List<FunctionTask> trainSide = FunctionTasks.train(config.seed, config.trainTasks + config.devTasks);
        train = withShortcuts(trainSide.subList(0, config.trainTasks));
        List<FunctionTask> dev = trainSide.subList(config.trainTasks, trainSide.size());
        List<FunctionTask> test = FunctionTasks.test(config.seed, config.testTasks);
        Jsonl.write(out.trainFile(), train);
        Jsonl.write(out.devFile(), dev);
        Jsonl.write(out.testFile(), test);
        long shortcuts = train.stream().filter(FunctionTask::shortcut).count();
        phases.done(train.size() + " train (" + shortcuts + " answered by hard-coding the example's output), "
                + dev.size() + " dev, " + test.size() + " held-out test tasks (prompts never trained on) in "
                + out.dir());
        return test;
    }

    /**
     * A seeded shortcut_share of the training tasks hard-code the example's output. Code in the wild sometimes
     * special-cases the one example it was shown; the SFT model then does so for some prompts, and RL with unit
     * tests on other inputs can learn which habit earns the reward.
     */
    private List<FunctionTask> withShortcuts(List<FunctionTask> tasks) {
        int n = (int) Math.round(config.shortcutShare * tasks.size());
        int[] order = new Rng(config.seed ^ 0xc0deL).permutation(tasks.size());
        List<FunctionTask> res = new ArrayList<>(tasks);
        for (int i = 0; i < n; i++) {
            res.set(order[i], tasks.get(order[i]).withShortcut());
        }
        return res;
    }

    private void tokenizer() {
        phases.start("tokenizer", "training a " + config.vocabSize + "-token byte-level BPE on the training text");
        BpeTrainer bpe = BpeTrainer.deepSeekStyle(config.vocabSize);
        for (FunctionTask t : train) {
            bpe.add(t.prompt());
            bpe.add(t.completion());
        }
        bpe.train().save(out.tokenizer());
        tokenizer = Tokenizer.load(out.tokenizer());
        int longest = 0;
        for (FunctionTask t : train) {
            longest = Math.max(longest, tokenizer.encode(t.solution(), false).length + 1); // + eos
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

    /** The unit-test reward of GRPO and of the evaluation: all tests pass or 0, many completions per sandbox. */
    private Map<String, Object> rewardParams() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("mode", "all");
        p.put("completions_per_sandbox", config.completionsPerSandbox);
        if (config.rewardWorkers > 0) {
            p.put("reward_workers", config.rewardWorkers);
        }
        p.put("sandbox", config.sandbox);
        return p;
    }

    private GrpoConfig grpoConfig(Path sftModel) {
        GrpoConfig c = new GrpoConfig();
        c.modelNameOrPath = sftModel.toString();
        c.trainFile = out.trainFile().toString();
        c.evalFile = out.devFile().toString();
        c.evalSteps = Math.max(1, (int) (config.grpoSteps / 4));
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
        Map<String, Object> reward = new LinkedHashMap<>();
        reward.put("type", UnitTestReward.PYTHON_TYPE);
        reward.putAll(rewardParams());
        c.rewards = new ArrayList<>(List.of(reward));
        c.validate();
        return c;
    }

    private UnitTestEvaluator.Result evaluate(Path modelDir, EvalSettings settings, List<UnitTestEvaluator.Task> tasks,
                                              UnitTestReward tests, String name) {
        CausalLM model = HfCheckpoint.load(modelDir, Backends.current());
        UnitTestEvaluator.Result r = new UnitTestEvaluator(model, tokenizer, settings, tests).evaluate(tasks, log);
        Jsonl.write(out.evalRows(name), r.rows());
        return r;
    }

    private static String oneLine(UnitTestEvaluator.Result r, HardCoding habit) {
        return String.format(Locale.ROOT, "Pass@1 %.1f%%, Maj@%d %.1f%%, Pass@%d %.1f%%; %s", 100 * r.report().pass1(),
                r.report().k(), 100 * r.report().majAtK(), r.report().k(), 100 * r.report().passAtK(),
                habit.describe());
    }

    private Map<String, String> plots() {
        Map<String, String> plots = new LinkedHashMap<>();
        for (String name : List.of("sft", "grpo")) {
            Path png = (name.equals("sft") ? out.sftRun() : out.grpoRun()).resolve("metrics.png");
            if (Files.isRegularFile(png)) {
                plots.put(name, png.toString());
            }
        }
        return plots;
    }
}
