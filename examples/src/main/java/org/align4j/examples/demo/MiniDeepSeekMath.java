package org.align4j.examples.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.examples.eval.EvalProblem;
import org.align4j.examples.eval.EvalSettings;
import org.align4j.examples.eval.ModelEvaluator;
import org.align4j.examples.io.Jsonl;
import org.align4j.examples.math.MathProblem;
import org.align4j.examples.math.MathSplit;
import org.align4j.examples.math.MathWordProblems;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.sft.SftTrainer;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.Tokenizer;

/**
 * The mini DeepSeekMath reproduction: generate word problems (train/test split), train a byte-level BPE on the
 * training text, supervise a tiny Llama from scratch on the step-by-step solutions, evaluate it on held-out
 * problems, improve it with GRPO against the rule reward (the final answer, or every arithmetic step with
 * process supervision), and evaluate again. The question is DeepSeekMath's (section 5.2.2): does RL raise
 * greedy accuracy and Maj@K, and what does it do to Pass@K?
 */
public final class MiniDeepSeekMath {
    /** Tokens allowed beyond the longest training solution, so that a slightly wordier answer is not cut. */
    private static final int COMPLETION_MARGIN = 8;
    private static final int EVAL_BATCH_SEQUENCES = 256;

    private final DemoConfig config;
    private final DemoOutput out;
    private final PrintStream log;

    public MiniDeepSeekMath(DemoConfig config, DemoOutput out, PrintStream log) {
        this.config = config;
        this.out = out;
        this.log = log;
    }

    /** The result: what summary.json holds, and the table rows. */
    public DemoSummary run() {
        Phases phases = new Phases(log, 7);

        phases.start("data", "generating " + config.difficulty + " math word problems (seed " + config.seed + ")");
        MathSplit split = MathWordProblems.split(config.seed);
        List<MathProblem> trainSide = split.train(config.trainProblems + config.devProblems, config.difficultyLevel());
        List<MathProblem> train = trainSide.subList(0, config.trainProblems);
        List<MathProblem> dev = trainSide.subList(config.trainProblems, trainSide.size());
        List<MathProblem> test = split.test(config.testProblems, config.difficultyLevel());
        Jsonl.write(out.trainFile(), train);
        Jsonl.write(out.devFile(), dev);
        Jsonl.write(out.testFile(), test);
        phases.done(train.size() + " train, " + dev.size() + " dev, " + test.size() + " held-out test problems in "
                + out.trainFile().getParent());

        phases.start("tokenizer", "training a " + config.vocabSize + "-token byte-level BPE on the training text");
        BpeTrainer bpe = BpeTrainer.deepSeekStyle(config.vocabSize);
        for (MathProblem p : train) {
            bpe.add(p.prompt());
            bpe.add(p.completion());
        }
        bpe.train().save(out.tokenizer());
        Tokenizer tokenizer = Tokenizer.load(out.tokenizer());
        int maxCompletion = config.maxCompletionLength > 0 ? config.maxCompletionLength
                : longestCompletion(tokenizer, train) + COMPLETION_MARGIN;
        phases.done(tokenizer.vocabSize() + " tokens in " + out.tokenizer() + "; completions up to " + maxCompletion
                + " tokens");

        ModelConfig mc = ModelConfig.llama(config.vocabSize, config.hiddenSize, config.intermediateSize,
                config.numHiddenLayers, config.numAttentionHeads, config.numKeyValueHeads,
                config.maxPositionEmbeddings, tokenizer.bosId(), new int[] {tokenizer.eosId()});
        AtomicFiles.writeJson(out.initConfig(), mc.toJson());
        phases.start("sft", String.format(Locale.ROOT, "a new %,d-parameter model (d %d, %d layers), %d steps of %d "
                        + "solutions", mc.parameterCount(), config.hiddenSize, config.numHiddenLayers, config.sftSteps,
                config.sftBatchSize));
        SftTrainer.Result sft = new SftTrainer(sftConfig(), false, log).train();
        phases.done(String.format(Locale.ROOT, "loss %.3f, model in %s", sft.lastLoss(), sft.finalModel()));

        EvalSettings evalSettings = new EvalSettings(config.k, config.evalSamples, config.evalTemperature, 1.0,
                maxCompletion, config.seed, EVAL_BATCH_SEQUENCES);
        List<EvalProblem> problems = EvalProblem.read(out.testFile(), 0);
        phases.start("eval_before", "the SFT model on " + problems.size() + " held-out problems (greedy, and "
                + config.evalSamples + " samples each)");
        ModelEvaluator.Result before = evaluate(sft.finalModel(), tokenizer, evalSettings, problems, "before");
        phases.done(oneLine(before));

        phases.start("grpo", config.grpoSteps + " steps of " + config.grpoPromptsPerStep + " prompts x "
                + config.numGenerations + " completions, " + config.supervision + " supervision");
        GrpoTrainer.Result grpo = new GrpoTrainer(grpoConfig(sft.finalModel(), maxCompletion), false, log).train();
        phases.done(String.format(Locale.ROOT, "mean reward of the last step %.3f, model in %s", grpo.lastRewardMean(),
                grpo.finalModel()));

        phases.start("eval_after", "the GRPO model on the same problems");
        ModelEvaluator.Result after = evaluate(grpo.finalModel(), tokenizer, evalSettings, problems, "after");
        phases.done(oneLine(after));

        phases.start("summary", "writing " + out.summary());
        Map<String, String> plots = new LinkedHashMap<>();
        plot(plots, "sft", out.sftRun().resolve("metrics.png"));
        plot(plots, "grpo", out.grpoRun().resolve("metrics.png"));
        phases.done("done");
        DemoSummary summary = new DemoSummary(before.report(), after.report(), config.k, problems.size(), config.seed,
                config.evalSamples, config.evalTemperature, config.supervision, config.difficulty, train.size(),
                mc.parameterCount(), tokenizer.vocabSize(), sft.steps(), sft.lastLoss(), grpo.steps(),
                grpo.lastRewardMean(), maxCompletion, sft.finalModel().toString(), grpo.finalModel().toString(),
                plots, phases.wallSeconds(), phases.cpuSeconds());
        AtomicFiles.writeJson(out.summary(), summary);
        return summary;
    }

    private SftConfig sftConfig() {
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
        return c;
    }

    private GrpoConfig grpoConfig(Path sftModel, int maxCompletion) {
        GrpoConfig c = new GrpoConfig();
        c.modelNameOrPath = sftModel.toString();
        c.trainFile = out.trainFile().toString();
        c.evalFile = out.devFile().toString();
        c.evalSteps = Math.max(1, (int) (config.grpoSteps / 6));
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
        c.supervision = config.supervision;
        c.rewards = new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("type",
                config.supervision.equals("process") ? "math_steps" : "math_answer"))));
        c.validate();
        return c;
    }

    private ModelEvaluator.Result evaluate(Path modelDir, Tokenizer tokenizer, EvalSettings settings,
                                           List<EvalProblem> problems, String name) {
        CausalLM model = HfCheckpoint.load(modelDir);
        ModelEvaluator.Result r = new ModelEvaluator(model, tokenizer, settings).evaluate(problems, log);
        Jsonl.write(out.evalRows(name), r.problems());
        return r;
    }

    private static String oneLine(ModelEvaluator.Result r) {
        return String.format(Locale.ROOT, "Pass@1 %.1f%%, Maj@%d %.1f%%, Pass@%d %.1f%%", 100 * r.report().pass1(),
                r.report().k(), 100 * r.report().majAtK(), r.report().k(), 100 * r.report().passAtK());
    }

    private static int longestCompletion(Tokenizer tokenizer, List<MathProblem> problems) {
        int longest = 0;
        for (MathProblem p : problems) {
            longest = Math.max(longest, tokenizer.encode(p.completion(), false).length + 1); // + eos
        }
        return longest;
    }

    private static void plot(Map<String, String> plots, String name, Path png) {
        if (Files.isRegularFile(png)) {
            plots.put(name, png.toString());
        }
    }
}
