package org.align4j.examples.demo;

import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.util.BadInputException;

/**
 * The settings every demo task shares, the steps of {@link DemoPipeline}: the seed, the tiny Llama, SFT, GRPO and
 * the held-out evaluation. A task's config ({@link DemoConfig} for math, {@link CodeDemoConfig} for code) adds
 * its data and reward settings and sets, in its constructor, the defaults that the tasks size differently.
 */
public abstract class DemoPipelineConfig implements ConfigLoader.Validated {

    /** Seed of the generated data, the split, the initial weights, the data order and the samples. */
    public long seed = 1;

    // tokenizer and model (a Llama with tied embeddings)
    /** Size of the byte-level BPE vocabulary trained on the training text. */
    public int vocabSize = 512;
    /** Width of the model (hidden_size of its config.json). */
    public int hiddenSize = 128;
    /** Width of the SwiGLU feed-forward layers. */
    public int intermediateSize = 352;
    /** Decoder layers. */
    public int numHiddenLayers = 3;
    /** Query heads per attention layer. */
    public int numAttentionHeads = 4;
    /** Key/value heads per attention layer (grouped-query attention when fewer than the query heads). */
    public int numKeyValueHeads = 2;
    /** Longest sequence (prompt + completion) the model takes, in tokens. */
    public int maxPositionEmbeddings;

    // SFT
    /** Optimizer steps of the SFT phase. */
    public long sftSteps;
    /** Examples per SFT step. */
    public int sftBatchSize = 16;
    /** Peak learning rate of SFT (cosine schedule annealed to 0). */
    public double sftLearningRate = 2e-3;

    // GRPO
    /** Optimizer steps of the GRPO phase (over all iterations with the math demo's iterative). */
    public long grpoSteps;
    /** Prompts per GRPO step; each gets num_generations completions. */
    public int grpoPromptsPerStep = 8;
    /** Completions sampled per GRPO prompt (the group). */
    public int numGenerations = 8;
    /** GRPO's learning rate (full fine-tuning; the math demo's lora_learning_rate with use_peft). */
    public double grpoLearningRate;
    /** GRPO's KL coefficient. */
    public double beta = 0.04;
    /** Sampling temperature of GRPO's rollouts. */
    public double grpoTemperature = 1.0;
    /** Tokens a completion may have; 0: the longest tokenized training solution plus a margin. */
    public int maxCompletionLength = 0;

    // evaluation
    /** K of Maj@K and Pass@K. */
    public int k = 8;
    /** Samples per held-out problem or task (at least k; Pass@K is estimated from all of them). */
    public int evalSamples;
    /** Sampling temperature of the held-out evaluation's samples (greedy completions are also reported). */
    public double evalTemperature = 0.7;

    /** Checks the shared settings; a task's config checks its own and calls this. */
    @Override
    public void validate() {
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
        atLeast("k", k, 1);
        atLeast("eval_samples", evalSamples, k);
        positive("eval_temperature", evalTemperature);
    }

    protected static void atLeast(String key, double v, double min) {
        if (!(v >= min)) {
            throw new BadInputException(key + " must be at least " + (long) min + ", got " + v);
        }
    }

    protected static void positive(String key, double v) {
        if (!(v > 0)) {
            throw new BadInputException(key + " must be positive, got " + v);
        }
    }

    /** A share in [0, 1) (terse_share, shortcut_share, replay_fraction). */
    protected static void share(String key, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new BadInputException(key + " must be in [0, 1), got " + v);
        }
    }
}
