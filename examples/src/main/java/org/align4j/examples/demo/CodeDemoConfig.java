package org.align4j.examples.demo;

import java.util.List;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.util.BadInputException;

/**
 * Settings of the code demo ({@code ./align4j demo --task code}), snake_case keys as every align4j config
 * ({@code --set grpo_steps=60}). The defaults are the full demo, sized for the math demo's budget on two CPU
 * cores; {@link #QUICK} overrides them for a smoke run (CI).
 *
 * <p>Why these settings (docs/code-demo.md): the SFT data answers a {@code shortcut_share} of its tasks by
 * hard-coding the example's output ({@code return 7}) instead of the function the spec asks for, as code scraped
 * from the web sometimes special-cases the test it was shown. The SFT model holds both habits; the unit tests
 * (the example and three more inputs) reward only the general one, and GRPO can learn which habit pays on tasks
 * it never trained on. The SFT schedule anneals to 0, so that RL is not credited with what is only annealing.
 */
public class CodeDemoConfig implements ConfigLoader.Validated {

    /** The quick preset, applied before the user's own overrides. */
    public static final List<String> QUICK = List.of(
            "train_tasks=2000", "dev_tasks=16", "test_tasks=32",
            "hidden_size=64", "intermediate_size=176", "num_hidden_layers=2", "num_attention_heads=4",
            "num_key_value_heads=2", "sft_steps=100", "grpo_steps=3", "grpo_prompts_per_step=4",
            "num_generations=4", "eval_samples=8");

    /** Seed of the tasks, the split, the initial weights, the data order and the samples. */
    public long seed = 1;

    // data
    /** Train-side tasks for SFT and for GRPO's prompts. */
    public int trainTasks = 12000;
    /** Share of the training tasks whose SFT completion hard-codes the example's output instead of the function. */
    public double shortcutShare = 0.5;
    /** Further train-side tasks, never trained on, for the eval loss and reward logged during training. */
    public int devTasks = 64;
    /** Held-out (test-side) tasks of the before/after table; their functions are never trained on. */
    public int testTasks = 200;

    // tokenizer and model (a Llama with tied embeddings)
    /** Size of the byte-level BPE vocabulary trained on the tasks. */
    public int vocabSize = 512;
    /** Width of the model (hidden_size of its config.json). */
    public int hiddenSize = 128;
    /** Width of the SwiGLU feed-forward layers. */
    public int intermediateSize = 352;
    /** Decoder layers. */
    public int numHiddenLayers = 3;
    /** Query heads per attention layer. */
    public int numAttentionHeads = 4;
    /** Key/value heads per attention layer. */
    public int numKeyValueHeads = 2;
    /** Longest sequence (prompt + completion) the model takes, in tokens. */
    public int maxPositionEmbeddings = 128;

    // SFT
    /** Optimizer steps of the SFT phase. */
    public long sftSteps = 1000;
    /** Examples per SFT step. */
    public int sftBatchSize = 16;
    /** Peak learning rate of SFT (cosine schedule annealed to 0). */
    public double sftLearningRate = 2e-3;

    // GRPO
    /** Optimizer steps of the GRPO phase. */
    public long grpoSteps = 40;
    /** Prompts per GRPO step; each gets num_generations completions. */
    public int grpoPromptsPerStep = 8;
    /** Completions sampled per GRPO prompt (the group). */
    public int numGenerations = 8;
    /** GRPO's learning rate. */
    public double grpoLearningRate = 5e-5;
    /** GRPO's KL coefficient. */
    public double beta = 0.04;
    /** Sampling temperature of GRPO's rollouts. */
    public double grpoTemperature = 1.0;
    /** Tokens a completion may have; 0: the longest tokenized training solution plus a margin. */
    public int maxCompletionLength = 0;

    // rewards
    /** Completions scored in one sandbox and one Python start (python_tests' completions_per_sandbox). */
    public int completionsPerSandbox = 64;
    /** Sandboxes run at once (python_tests' reward_workers); 0: the number of cores. */
    public int rewardWorkers = 0;
    /** Isolation of the unit tests: auto, bwrap, unshare or none (python_tests' sandbox). */
    public String sandbox = "auto";

    // evaluation
    /** K of Maj@K and Pass@K. */
    public int k = 8;
    /** Samples per held-out task (at least k; Pass@K is estimated from all of them). */
    public int evalSamples = 8;
    /** Sampling temperature of the held-out evaluation's samples (greedy completions are also reported). */
    public double evalTemperature = 0.7;

    @Override
    public void validate() {
        atLeast("train_tasks", trainTasks, 1);
        if (!(shortcutShare >= 0 && shortcutShare < 1)) {
            throw new BadInputException("shortcut_share must be in [0, 1), got " + shortcutShare);
        }
        atLeast("dev_tasks", devTasks, 1);
        atLeast("test_tasks", testTasks, 1);
        atLeast("vocab_size", vocabSize, 300);
        atLeast("hidden_size", hiddenSize, 2);
        atLeast("intermediate_size", intermediateSize, 1);
        atLeast("num_hidden_layers", numHiddenLayers, 1);
        atLeast("num_attention_heads", numAttentionHeads, 1);
        atLeast("num_key_value_heads", numKeyValueHeads, 1);
        atLeast("max_position_embeddings", maxPositionEmbeddings, 16);
        atLeast("sft_steps", sftSteps, 1);
        atLeast("sft_batch_size", sftBatchSize, 1);
        positive("sft_learning_rate", sftLearningRate);
        atLeast("grpo_steps", grpoSteps, 1);
        atLeast("grpo_prompts_per_step", grpoPromptsPerStep, 1);
        atLeast("num_generations", numGenerations, 2);
        positive("grpo_learning_rate", grpoLearningRate);
        atLeast("beta", beta, 0);
        positive("grpo_temperature", grpoTemperature);
        atLeast("max_completion_length", maxCompletionLength, 0);
        atLeast("completions_per_sandbox", completionsPerSandbox, 1);
        atLeast("reward_workers", rewardWorkers, 0);
        if (!List.of("auto", "bwrap", "unshare", "none").contains(sandbox)) {
            throw new BadInputException("sandbox must be one of auto, bwrap, unshare, none; got '" + sandbox + "'");
        }
        atLeast("k", k, 1);
        atLeast("eval_samples", evalSamples, k);
        positive("eval_temperature", evalTemperature);
    }

    private static void atLeast(String key, double v, double min) {
        if (!(v >= min)) {
            throw new BadInputException(key + " must be at least " + (long) min + ", got " + v);
        }
    }

    private static void positive(String key, double v) {
        if (!(v > 0)) {
            throw new BadInputException(key + " must be positive, got " + v);
        }
    }
}
