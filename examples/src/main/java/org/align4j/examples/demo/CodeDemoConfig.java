package org.align4j.examples.demo;

import java.util.List;
import org.align4j.policy.util.BadInputException;

/**
 * Settings of the code demo ({@code ./align4j demo --task code}): the shared ones of {@link DemoPipelineConfig}
 * and the code task's data and unit-test reward settings; snake_case keys as every align4j config
 * ({@code --set grpo_steps=60}). The defaults are the full demo, sized for the math demo's budget on two CPU
 * cores; {@link #QUICK} overrides them for a smoke run (CI).
 *
 * <p>Why these settings (docs/code-demo.md): the SFT data answers a {@code shortcut_share} of its tasks by
 * hard-coding the example's output ({@code return 7}) instead of the function the spec asks for, as code scraped
 * from the web sometimes special-cases the test it was shown. The SFT model holds both habits; the unit tests
 * (the example and three more inputs) reward only the general one, and GRPO can learn which habit pays on tasks
 * it never trained on. The SFT schedule anneals to 0, so that RL is not credited with what is only annealing.
 */
public class CodeDemoConfig extends DemoPipelineConfig {

    /** The quick preset, applied before the user's own overrides. */
    public static final List<String> QUICK = List.of(
            "train_tasks=2000", "dev_tasks=16", "test_tasks=32",
            "hidden_size=64", "intermediate_size=176", "num_hidden_layers=2", "num_attention_heads=4",
            "num_key_value_heads=2", "sft_steps=100", "grpo_steps=3", "grpo_prompts_per_step=4",
            "num_generations=4", "eval_samples=8");

    // data
    /** Train-side tasks for SFT and for GRPO's prompts. */
    public int trainTasks = 12000;
    /** Share of the training tasks whose SFT completion hard-codes the example's output instead of the function. */
    public double shortcutShare = 0.5;
    /** Further train-side tasks, never trained on, for the eval loss and reward logged during training. */
    public int devTasks = 64;
    /** Held-out (test-side) tasks of the before/after table; their functions are never trained on. */
    public int testTasks = 200;

    // rewards
    /** Completions scored in one sandbox and one Python start (python_tests' completions_per_sandbox). */
    public int completionsPerSandbox = 64;
    /** Sandboxes run at once (python_tests' reward_workers); 0: the number of cores. */
    public int rewardWorkers = 0;
    /** Isolation of the unit tests: auto, bwrap, unshare or none (python_tests' sandbox). */
    public String sandbox = "auto";

    /** The code demo's sizes of the shared settings: shorter sequences, fewer steps. */
    public CodeDemoConfig() {
        maxPositionEmbeddings = 128;
        sftSteps = 1000;
        grpoSteps = 40;
        grpoLearningRate = 5e-5;
        evalSamples = 8;
    }

    @Override
    public void validate() {
        atLeast("train_tasks", trainTasks, 1);
        share("shortcut_share", shortcutShare);
        atLeast("dev_tasks", devTasks, 1);
        atLeast("test_tasks", testTasks, 1);
        super.validate();
        atLeast("completions_per_sandbox", completionsPerSandbox, 1);
        atLeast("reward_workers", rewardWorkers, 0);
        if (!List.of("auto", "bwrap", "unshare", "none").contains(sandbox)) {
            throw new BadInputException("sandbox must be one of auto, bwrap, unshare, none; got '" + sandbox + "'");
        }
    }
}
