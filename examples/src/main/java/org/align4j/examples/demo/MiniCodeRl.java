package org.align4j.examples.demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.examples.code.FunctionTask;
import org.align4j.examples.code.FunctionTasks;
import org.align4j.examples.eval.EvalSettings;
import org.align4j.examples.eval.UnitTestEvaluator;
import org.align4j.grpo.GrpoConfig;
import org.align4j.policy.model.CausalLM;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.UnitTestReward;

/**
 * The code demo, the code task of {@link DemoPipeline}: short Python function tasks (spec and example ->
 * {@code def f(...)}, unit tests; a train/test split by function) whose SFT solutions are the general function,
 * or for shortcut_share of them the example's output hard-coded; held-out evaluation by running the unit tests
 * in the sandbox; GRPO whose reward is those unit tests ({@code python_tests}, all-or-nothing). The question is
 * the math demo's: does RL on an outcome reward raise held-out Pass@1, and how?
 */
public final class MiniCodeRl extends DemoPipeline<HardCoding, CodeDemoSummary> {
    /** The seed's own stream for choosing the hard-coded answers. */
    private static final long SHORTCUT_SALT = 0xc0deL;
    /** How many times GRPO scores the dev set over its run. */
    private static final int DEV_EVALUATIONS = 4;

    private final CodeDemoConfig config;
    private List<FunctionTask> train;
    private List<FunctionTask> test;
    private String sandbox;

    public MiniCodeRl(CodeDemoConfig config, DemoOutput out, PrintStream log) {
        super(config, out, log, 7);
        this.config = config;
    }

    @Override
    protected String itemNoun() {
        return "tasks";
    }

    @Override
    protected String dataDescription() {
        return "Python function tasks";
    }

    /**
     * A seeded shortcut_share of the training tasks hard-code the example's output. Code in the wild sometimes
     * special-cases the one example it was shown; the SFT model then does so for some prompts, and RL with unit
     * tests on other inputs can learn which habit earns the reward.
     */
    @Override
    protected DemoData generate() {
        List<FunctionTask> trainSide = FunctionTasks.train(config.seed, config.trainTasks + config.devTasks);
        train = withSeededShare(trainSide.subList(0, config.trainTasks), config.shortcutShare, config.seed,
                SHORTCUT_SALT, FunctionTask::withShortcut);
        List<FunctionTask> dev = trainSide.subList(config.trainTasks, trainSide.size());
        test = FunctionTasks.test(config.seed, config.testTasks);
        List<String> text = new ArrayList<>();
        for (FunctionTask t : train) {
            text.add(t.prompt());
            text.add(t.completion());
        }
        long shortcuts = train.stream().filter(FunctionTask::shortcut).count();
        // completions are sized by the general solution, which a hard-coded answer's row still carries
        return new DemoData(train, dev, test, text, train.stream().map(FunctionTask::solution).toList(),
                shortcuts + " answered by hard-coding the example's output", " (prompts never trained on)");
    }

    @Override
    protected HeldOutTest<HardCoding> heldOutTest(EvalSettings settings) {
        List<UnitTestEvaluator.Task> tasks = test.stream()
                .map(t -> new UnitTestEvaluator.Task(t.id(), t.prompt(), t.tests())).toList();
        UnitTestReward tests = new UnitTestReward(Language.PYTHON, rewardParams());
        sandbox = tests.runner().isolation().describe();
        return new HeldOutTest<>() {
            @Override
            public int size() {
                return tasks.size();
            }

            @Override
            public String scoring() {
                return ", unit tests in the sandbox (" + sandbox + ")";
            }

            @Override
            public HeldOutResult<HardCoding> evaluate(CausalLM model) {
                UnitTestEvaluator.Result r = new UnitTestEvaluator(model, tokenizer, settings, tests).evaluate(tasks,
                        log);
                return new HeldOutResult<>(r.report(), r.rows(), HardCoding.of(r.rows()));
            }

            @Override
            public void close() {
                tests.close();
            }
        };
    }

    @Override
    protected Reinforced reinforce(Path sftModel) {
        return grpoPhase("reward: the unit tests (python_tests, all pass or 0)",
                () -> trainGrpo(grpoConfig(sftModel)));
    }

    @Override
    protected CodeDemoSummary summary(HeldOutResult<HardCoding> before, HeldOutResult<HardCoding> after, int heldOut,
                                      DemoTraining training) {
        return new CodeDemoSummary("code", before.report(), after.report(), habits(before, after), config.k, heldOut, config.seed,
                config.evalSamples, config.evalTemperature, train.size(), config.shortcutShare, sandbox, training);
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

    /** The pipeline's GRPO rewarded by the unit tests. */
    private GrpoConfig grpoConfig(Path sftModel) {
        GrpoConfig c = grpoConfig(sftModel, DEV_EVALUATIONS);
        Map<String, Object> reward = new LinkedHashMap<>();
        reward.put("type", UnitTestReward.PYTHON_TYPE);
        reward.putAll(rewardParams());
        c.rewards = new ArrayList<>(List.of(reward));
        c.validate();
        return c;
    }
}
