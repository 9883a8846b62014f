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
import org.align4j.grpo.IterativeGrpo;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.sft.SftTrainer;
import org.align4j.policy.train.Rng;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.model.train.RewardConfig;
import org.align4j.reward.model.train.RewardTrainer;
import org.align4j.rollout.SamplingParams;

/**
 * The mini DeepSeekMath reproduction: generate word problems (train/test split), train a byte-level BPE on the
 * training text, supervise a tiny Llama from scratch on the solutions (worked, or bare answers for terse_share
 * of them), evaluate it on held-out problems, improve it with GRPO against the rule reward (the final answer, or every arithmetic step with
 * process supervision; or, iteratively, a learned reward model retrained with replay), and evaluate again.
 * The question is DeepSeekMath's (section 5.2.2): does RL raise greedy accuracy and Maj@K, and what does it do
 * to Pass@K?
 */
public final class MiniDeepSeekMath {
    /** Tokens allowed beyond the longest training solution, so that a slightly wordier answer is not cut. */
    private static final int COMPLETION_MARGIN = 8;
    private static final int EVAL_BATCH_SEQUENCES = 256;

    private final DemoConfig config;
    private final DemoOutput out;
    private final PrintStream log;
    private final Phases phases;

    private List<MathProblem> train;
    private Tokenizer tokenizer;
    private int maxCompletion;
    private ModelConfig modelConfig;

    public MiniDeepSeekMath(DemoConfig config, DemoOutput out, PrintStream log) {
        this.config = config;
        this.out = out;
        this.log = log;
        this.phases = new Phases(log, config.iterative ? 8 : 7);
    }

    public DemoSummary run() {
        data();
        tokenizer();
        SftTrainer.Result sft = sft();
        List<EvalProblem> problems = EvalProblem.read(out.testFile(), 0);
        EvalSettings eval = new EvalSettings(config.k, config.evalSamples, config.evalTemperature, 1.0, maxCompletion,
                config.seed, EVAL_BATCH_SEQUENCES);
        phases.start("eval_before", "the SFT model on " + problems.size() + " held-out problems (greedy, and "
                + config.evalSamples + " samples each)");
        ModelEvaluator.Result before = evaluate(sft.finalModel(), eval, problems, "before");
        ShownWork workBefore = ShownWork.of(before.problems());
        phases.done(oneLine(before, workBefore));

        Path rewardModel = config.iterative ? rewardModel(sft.finalModel()) : null;
        phases.start("grpo", config.grpoSteps + " steps of " + config.grpoPromptsPerStep + " prompts x "
                + config.numGenerations + " completions, " + rlKind());
        Path policy;
        long grpoSteps;
        double lastReward;
        if (config.iterative) {
            GrpoConfig c = grpoConfig(sft.finalModel());
            c.iterative = iterativeConfig(rewardModel);
            c.validate();
            IterativeGrpo.Result r = new IterativeGrpo(c, false, log).train();
            policy = r.finalPolicy();
            grpoSteps = (long) r.iterations() * c.iterative.stepsPerIteration;
            lastReward = ((Number) r.metrics().get(r.metrics().size() - 1).get("policy/last_reward")).doubleValue();
        } else {
            GrpoTrainer.Result r = new GrpoTrainer(grpoConfig(sft.finalModel()), false, log).train();
            policy = r.finalModel();
            grpoSteps = r.steps();
            lastReward = r.lastRewardMean();
        }
        phases.done(String.format(Locale.ROOT, "mean reward of the last step %.3f, model in %s", lastReward, policy));

        phases.start("eval_after", "the GRPO model on the same problems");
        ModelEvaluator.Result after = evaluate(policy, eval, problems, "after");
        ShownWork workAfter = ShownWork.of(after.problems());
        phases.done(oneLine(after, workAfter));

        phases.start("summary", "writing " + out.summary());
        phases.done(out.summary().toString());
        Map<String, ShownWork> working = new LinkedHashMap<>();
        working.put("before", workBefore);
        working.put("after", workAfter);
        DemoSummary summary = new DemoSummary(before.report(), after.report(), working, config.k, problems.size(), config.seed,
                config.evalSamples, config.evalTemperature, config.supervision, config.iterative, config.difficulty, train.size(), config.terseShare,
                modelConfig.parameterCount(), tokenizer.vocabSize(), sft.steps(), sft.lastLoss(), grpoSteps,
                lastReward, maxCompletion, sft.finalModel().toString(), policy.toString(), plots(),
                phases.wallSeconds(), phases.cpuSeconds());
        AtomicFiles.writeJson(out.summary(), summary);
        return summary;
    }

    private void data() {
        phases.start("data", "generating " + config.difficulty + " math word problems (seed " + config.seed + ")");
        MathSplit split = MathWordProblems.split(config.seed);
        List<MathProblem> trainSide = split.train(config.trainProblems + config.devProblems, config.difficultyLevel());
        train = withTerseAnswers(trainSide.subList(0, config.trainProblems));
        List<MathProblem> dev = trainSide.subList(config.trainProblems, trainSide.size());
        List<MathProblem> test = split.test(config.testProblems, config.difficultyLevel());
        Jsonl.write(out.trainFile(), train);
        Jsonl.write(out.devFile(), dev);
        Jsonl.write(out.testFile(), test);
        long terse = train.stream().filter(p -> !ShownWork.showsWorking(p.completion())).count();
        phases.done(train.size() + " train (" + terse + " answered without working), " + dev.size()
                + " dev, " + test.size() + " held-out test problems in " + out.dir());
    }

    /**
     * A seeded terse_share of the training problems keep only their final answer line. SFT data of real math
     * models mixes worked solutions with bare answers; the SFT model then answers some prompts without
     * working, and RL can learn which habit earns the reward.
     */
    private List<MathProblem> withTerseAnswers(List<MathProblem> problems) {
        int terse = (int) Math.round(config.terseShare * problems.size());
        int[] order = new Rng(config.seed ^ 0x7e25eL).permutation(problems.size());
        List<MathProblem> out = new ArrayList<>(problems);
        for (int i = 0; i < terse; i++) {
            out.set(order[i], problems.get(order[i]).answerOnly());
        }
        return out;
    }

    private void tokenizer() {
        phases.start("tokenizer", "training a " + config.vocabSize + "-token byte-level BPE on the training text");
        BpeTrainer bpe = BpeTrainer.deepSeekStyle(config.vocabSize);
        for (MathProblem p : train) {
            bpe.add(p.prompt());
            bpe.add(p.completion());
        }
        bpe.train().save(out.tokenizer());
        tokenizer = Tokenizer.load(out.tokenizer());
        maxCompletion = config.maxCompletionLength > 0 ? config.maxCompletionLength
                : longestCompletion() + COMPLETION_MARGIN;
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

    /** The first outcome reward model: a head on the SFT model, trained on its own samples labelled by the checker. */
    private Path rewardModel(Path sftModel) {
        phases.start("reward_model", "labelling " + config.rmGenerations + " samples of " + config.rmProblems
                + " training problems by the SFT model, training an outcome reward model on them");
        List<MathProblem> problems = train.subList(0, Math.min(train.size(), config.rmProblems));
        SamplingParams params = SamplingParams.DEFAULTS.withTemperature(config.grpoTemperature)
                .withMaxCompletionLength(maxCompletion).withSeed(config.seed);
        LabelledSamples.Written w = LabelledSamples.write(HfCheckpoint.load(sftModel, Backends.current()), tokenizer,
                problems, config.rmGenerations, params, out.rewardData());
        RewardConfig c = new RewardConfig();
        c.modelNameOrPath = sftModel.toString();
        c.kind = "orm";
        c.trainFile = out.rewardData().toString();
        c.outputDir = out.rewardRun().toString();
        c.maxLength = config.maxPositionEmbeddings;
        c.maxSteps = config.rmSteps;
        c.learningRate = config.rmLearningRate;
        c.lrSchedulerType = "cosine";
        c.loggingSteps = Math.max(1, (int) (config.rmSteps / 20));
        c.saveSteps = 0;
        c.seed = config.seed;
        c.validate();
        RewardTrainer.Result r = new RewardTrainer(c, false, log).train();
        phases.done(String.format(Locale.ROOT, "%d samples, %d labelled correct; reward model train accuracy %.3f, "
                + "in %s", w.rows(), w.correct(), r.accuracy(), r.finalModel()));
        return r.finalModel();
    }

    private GrpoConfig grpoConfig(Path sftModel) {
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
        c.learningRate = config.usePeft ? config.loraLearningRate : config.grpoLearningRate;
        c.usePeft = config.usePeft;
        c.loraR = config.loraR;
        c.loraAlpha = config.loraAlpha;
        c.loraTargetModules = List.of(config.loraTargetModules);
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

    private GrpoConfig.IterativeConfig iterativeConfig(Path rewardModel) {
        GrpoConfig.IterativeConfig it = new GrpoConfig.IterativeConfig();
        it.iterations = config.iterations;
        it.stepsPerIteration = (int) (config.grpoSteps / config.iterations);
        it.rewardModel = rewardModel.toString();
        // replay the first reward model's data too, as DeepSeekMath's 10% replay of historical data does
        it.replayBuffer = out.rewardRun().resolve("replay").toString();
        it.replayFraction = config.replayFraction;
        it.rewardLearningRate = config.rmLearningRate;
        it.rewardTrainSteps = config.rmRetrainSteps;
        it.labelPrompts = config.labelProblems;
        it.labelGenerations = config.rmGenerations;
        return it;
    }

    private String rlKind() {
        String kind = config.iterative ? "iterative (learned outcome reward model, retrained with replay)"
                : config.supervision + " supervision";
        return config.usePeft ? kind + ", LoRA adapters (r " + config.loraR + ", " + config.loraTargetModules + ")"
                : kind;
    }

    private ModelEvaluator.Result evaluate(Path modelDir, EvalSettings settings, List<EvalProblem> problems,
                                           String name) {
        CausalLM model = PeftAdapter.loadModel(modelDir, null, Backends.current()); // a LoRA run's final/ loads on its base
        ModelEvaluator.Result r = new ModelEvaluator(model, tokenizer, settings).evaluate(problems, log);
        Jsonl.write(out.evalRows(name), r.problems());
        return r;
    }

    private static String oneLine(ModelEvaluator.Result r, ShownWork work) {
        return String.format(Locale.ROOT, "Pass@1 %.1f%%, Maj@%d %.1f%%, Pass@%d %.1f%%; %s", 100 * r.report().pass1(),
                r.report().k(), 100 * r.report().majAtK(), r.report().k(), 100 * r.report().passAtK(),
                work.describe());
    }

    private int longestCompletion() {
        int longest = 0;
        for (MathProblem p : train) {
            longest = Math.max(longest, tokenizer.encode(p.completion(), false).length + 1); // + eos
        }
        return longest;
    }

    /** The metrics plots the trainers drew: SFT, GRPO (per iteration, and the iterations, when iterative). */
    private Map<String, String> plots() {
        Map<String, String> plots = new LinkedHashMap<>();
        plot(plots, "sft", out.sftRun().resolve("metrics.png"));
        plot(plots, "reward_model", out.rewardRun().resolve("metrics.png"));
        plot(plots, "grpo", out.grpoRun().resolve("metrics.png"));
        for (int k = 1; k <= config.iterations && config.iterative; k++) {
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
