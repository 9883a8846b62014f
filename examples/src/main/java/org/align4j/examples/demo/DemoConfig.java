package org.align4j.examples.demo;

import java.util.List;
import org.align4j.examples.math.Difficulty;
import org.align4j.grpo.GrpoConfig;
import org.align4j.policy.train.AllowedValues;
import org.align4j.policy.util.BadInputException;

/**
 * Settings of the mini DeepSeekMath demo ({@code ./align4j demo}): the shared ones of {@link DemoPipelineConfig} and
 * the math task's data, LoRA and iterative-RL settings; snake_case keys as every align4j config ({@code --set
 * grpo_steps=200}). The defaults are the full demo, sized for about seven minutes on two CPU cores (404 s measured);
 * {@link #QUICK} overrides them for a run of a minute or two (CI).
 *
 * <p>Why these settings (measured, README "The demo"): a model this small memorises arithmetic facts rather than
 * computing them, so unique problems matter more than epochs, and GRPO on worked solutions alone did not carry
 * over to held-out problems (their errors are facts the policy never saw). Half of the SFT solutions are bare
 * answers ({@code terse_share}), so the SFT model holds two habits, and RL with the outcome reward can learn
 * the one that is right more often on prompts it never trained on. 32,000 problems at half terse give the
 * model as many worked solutions as the 16,000 of the all-worked control. The SFT schedule anneals to 0:
 * stopping SFT at a high learning rate leaves a model that any low-rate training improves, which would
 * credit RL with what is only annealing.
 */
public class DemoConfig extends DemoPipelineConfig {

    /** The quick preset, applied before the user's own overrides. */
    public static final List<String> QUICK = List.of(
            "train_problems=3000", "dev_problems=32", "test_problems=64",
            "hidden_size=64", "intermediate_size=176", "num_hidden_layers=2", "num_attention_heads=4",
            "num_key_value_heads=2",
            "sft_steps=300", "grpo_steps=10", "rm_problems=32", "rm_steps=10", "rm_retrain_steps=5",
            "label_problems=16", "eval_samples=8");

    /** outcome (the math_answer rule reward) or process (math_steps: one reward per arithmetic line). */
    @AllowedValues(GrpoConfig.Supervision.class)
    public String supervision = "outcome";

    // data
    /** How hard the generated word problems are: steps per solution and the size of their numbers. */
    @AllowedValues(Difficulty.class)
    public String difficulty = "easy";
    /** Train-side problems for SFT and for GRPO's prompts. */
    public int trainProblems = 32000;
    /** Share of the training problems whose SFT completion is only the {@code #### N} line, without working. */
    public double terseShare = 0.5;
    /** Further train-side problems, never trained on, for the eval loss and accuracy logged during training. */
    public int devProblems = 64;
    /** Held-out (test-side) problems of the before/after table. */
    public int testProblems = 200;

    // LoRA (docs/lora.md): the GRPO phase trains adapters on the frozen SFT model (the SFT phase builds the model
    // from scratch, so it is trained in full)
    /** Train LoRA adapters in the GRPO phase (TRL's use_peft). */
    public boolean usePeft = false;
    /** LoRA rank r (with use_peft). */
    public int loraR = 16;
    /** LoRA alpha: updates are scaled by lora_alpha / r. */
    public double loraAlpha = 32;
    /** Modules to adapt, by PEFT's names (comma-separated) or all-linear. */
    public String loraTargetModules = "all-linear";
    /** GRPO's learning rate with use_peft (adapters want a larger one than full fine-tuning). */
    public double loraLearningRate = 3e-4;

    // iterative RL (DeepSeekMath Algorithm 1): a reward model, retrained between GRPO iterations
    /** Replace the rule reward by a learned outcome reward model, retrained with replay after each iteration. */
    public boolean iterative = false;
    /** Outer iterations; grpo_steps are split evenly over them. */
    public int iterations = 2;
    /** Training problems whose SFT-policy samples, labelled by the rule checker, train the first reward model. */
    public int rmProblems = 256;
    /** Samples per problem for that data (and for the fresh data of each iteration). */
    public int rmGenerations = 4;
    /** Optimizer steps of the first reward model's training. */
    public long rmSteps = 150;
    /** Learning rate of the reward model's training and retraining. */
    public double rmLearningRate = 1e-4;
    /** Reward-model steps of each retraining; replay_fraction of each batch is historical data. */
    public int rmRetrainSteps = 50;
    /** Share of each reward-model batch drawn from the replay of historical data (DeepSeekMath: 10%). */
    public double replayFraction = 0.1;
    /** Training problems sampled after each iteration for fresh labelled data. */
    public int labelProblems = 64;

    /** The math demo's sizes of the shared settings. */
    public DemoConfig() {
        maxPositionEmbeddings = 256;
        sftSteps = 3200;
        grpoSteps = 100;
        grpoLearningRate = 3e-5;
        evalSamples = 16;
    }

    public Difficulty difficultyLevel() {
        return Difficulty.parse(difficulty);
    }

    @Override
    public void validate() {
        difficultyLevel();
        if (!supervision.equals("outcome") && !supervision.equals("process")) {
            throw new BadInputException("supervision must be outcome or process, got '" + supervision + "'");
        }
        atLeast("train_problems", trainProblems, 1);
        share("terse_share", terseShare);
        atLeast("dev_problems", devProblems, 1);
        atLeast("test_problems", testProblems, 1);
        super.validate();
        atLeast("iterations", iterations, 1);
        if (iterative && grpoSteps < iterations) {
            throw new BadInputException("grpo_steps (" + grpoSteps + ") must be at least iterations (" + iterations + ")");
        }
        if (iterative && supervision.equals("process")) {
            throw new BadInputException("iterative RL here trains an outcome reward model: use it without process "
                    + "supervision");
        }
        atLeast("rm_problems", rmProblems, 1);
        atLeast("rm_generations", rmGenerations, 1);
        atLeast("rm_steps", rmSteps, 1);
        positive("rm_learning_rate", rmLearningRate);
        atLeast("rm_retrain_steps", rmRetrainSteps, 1);
        share("replay_fraction", replayFraction);
        atLeast("label_problems", labelProblems, 1);
    }
}
