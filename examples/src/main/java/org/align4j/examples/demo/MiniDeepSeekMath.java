package org.align4j.examples.demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.examples.eval.EvalProblem;
import org.align4j.examples.eval.EvalSettings;
import org.align4j.examples.eval.ModelEvaluator;
import org.align4j.examples.math.MathProblem;
import org.align4j.examples.math.MathSplit;
import org.align4j.examples.math.MathWordProblems;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.IterativeGrpo;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Backends;
import org.align4j.reward.model.train.RewardConfig;
import org.align4j.reward.model.train.RewardTrainer;
import org.align4j.rollout.SamplingParams;

/**
 * The mini DeepSeekMath reproduction, the math task of {@link DemoPipeline}: word problems (train/test split) whose
 * SFT solutions are worked, or bare answers for terse_share of them; held-out evaluation by the final answer;
 * GRPO against the rule reward (the final answer, or every arithmetic step with process supervision; or,
 * iteratively, a learned reward model retrained with replay). The question is DeepSeekMath's (section 5.2.2):
 * does RL raise greedy accuracy and Maj@K, and what does it do to Pass@K?
 */
public final class MiniDeepSeekMath extends DemoPipeline<ShownWork, DemoSummary> {
    /** The seed's own stream for choosing the terse answers. */
    private static final long TERSE_SALT = 0x7e25eL;
    /** How many times GRPO scores the dev set over its run. */
    private static final int DEV_EVALUATIONS = 6;

    private final DemoConfig config;
    private List<MathProblem> train;

    public MiniDeepSeekMath(DemoConfig config, DemoOutput out, PrintStream log) {
        super(config, out, log, config.iterative ? 8 : 7);
        this.config = config;
    }

    @Override
    protected String itemNoun() {
        return "problems";
    }

    @Override
    protected String dataDescription() {
        return config.difficulty + " math word problems";
    }

    /**
     * A seeded terse_share of the training problems keep only their final answer line. SFT data of real math
     * models mixes worked solutions with bare answers; the SFT model then answers some prompts without
     * working, and RL can learn which habit earns the reward.
     */
    @Override
    protected DemoData generate() {
        MathSplit split = MathWordProblems.split(config.seed);
        List<MathProblem> trainSide = split.train(config.trainProblems + config.devProblems, config.difficultyLevel());
        train = withSeededShare(trainSide.subList(0, config.trainProblems), config.terseShare, config.seed, TERSE_SALT,
                MathProblem::answerOnly);
        List<MathProblem> dev = trainSide.subList(config.trainProblems, trainSide.size());
        List<MathProblem> test = split.test(config.testProblems, config.difficultyLevel());
        List<String> text = new ArrayList<>();
        for (MathProblem p : train) {
            text.add(p.prompt());
            text.add(p.completion());
        }
        long terse = train.stream().filter(p -> !ShownWork.showsWorking(p.completion())).count();
        return new DemoData(train, dev, test, text, train.stream().map(MathProblem::completion).toList(),
                terse + " answered without working", "");
    }

    @Override
    protected HeldOutTest<ShownWork> heldOutTest(EvalSettings settings) {
        List<EvalProblem> problems = EvalProblem.read(out.testFile(), 0);
        return new HeldOutTest<>() {
            @Override
            public int size() {
                return problems.size();
            }

            @Override
            public HeldOutResult<ShownWork> evaluate(CausalLM model) {
                ModelEvaluator.Result r = new ModelEvaluator(model, tokenizer, settings).evaluate(problems, log);
                return new HeldOutResult<>(r.report(), r.problems(), ShownWork.of(r.problems()));
            }
        };
    }

    @Override
    protected Reinforced reinforce(Path sftModel) {
        if (!config.iterative) {
            return grpoPhase(rlKind(), () -> trainGrpo(grpoConfig(sftModel)));
        }
        Path rewardModel = rewardModel(sftModel);
        return grpoPhase(rlKind(), () -> {
            GrpoConfig c = grpoConfig(sftModel);
            c.iterative = iterativeConfig(rewardModel);
            c.validate();
            IterativeGrpo.Result r = new IterativeGrpo(c, false, log).train();
            double lastReward = ((Number) r.metrics().get(r.metrics().size() - 1).get("policy/last_reward"))
                    .doubleValue();
            return new Reinforced(r.finalPolicy(), (long) r.iterations() * c.iterative.stepsPerIteration, lastReward,
                    config.iterations);
        });
    }

    @Override
    protected DemoSummary summary(HeldOutResult<ShownWork> before, HeldOutResult<ShownWork> after, int heldOut,
                                  DemoTraining training) {
        return new DemoSummary(before.report(), after.report(), habits(before, after), config.k, heldOut, config.seed,
                config.evalSamples, config.evalTemperature, config.supervision, config.iterative, config.difficulty,
                train.size(), config.terseShare, training);
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

    /** The pipeline's GRPO with the math reward (final answer or every step) and, with use_peft, LoRA adapters. */
    private GrpoConfig grpoConfig(Path sftModel) {
        GrpoConfig c = grpoConfig(sftModel, DEV_EVALUATIONS);
        c.learningRate = config.usePeft ? config.loraLearningRate : config.grpoLearningRate;
        c.usePeft = config.usePeft;
        c.loraR = config.loraR;
        c.loraAlpha = config.loraAlpha;
        c.loraTargetModules = List.of(config.loraTargetModules);
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
}
