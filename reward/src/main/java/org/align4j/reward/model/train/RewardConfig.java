package org.align4j.reward.model.train;

import org.align4j.policy.train.AllowedValues;

import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.model.RewardModelKind;

/**
 * Reward-model training settings (TRL's RewardConfig / PRMConfig names where they exist). The model starts
 * from model_name_or_path, which is either a language model (a policy or SFT model: a new scalar head is put
 * on it) or a reward model (training continues, head included), or from a fresh init_config trunk.
 */
public class RewardConfig extends TrainingConfig {
    /** A model directory: a language model to put a head on, or a reward model to continue training. */
    public String modelNameOrPath;
    /** A config.json for a freshly initialised trunk (then tokenizer is required). */
    public String initConfig;
    /** tokenizer.json or a directory holding it; defaults to the model directory. */
    public String tokenizer;
    /** orm or prm; defaults to the reward model's own kind when continuing one, else orm. */
    @AllowedValues(RewardModelKind.class)
    public String kind;
    /** JSONL rows: {prompt, chosen, rejected}, {prompt, completion, label} (ORM) or {prompt, completion, step_labels} (PRM). */
    public String trainFile;
    /** Held-out rows in train_file's format, for the eval accuracy every eval_steps and after the last step. */
    public String evalFile;
    /** Held-out rows evaluated (0: all). */
    public int evalLimit = 0;
    /** Rows with more tokens than this (prompt + completion) are dropped, as TRL does. */
    public int maxLength = 512;
    /** The replay buffer directory; defaults to output_dir/replay. */
    public String replayBuffer;
    /** Share of each batch drawn from the replay of historical rows (DeepSeekMath: 10%). */
    public double replayFraction = 0.1;
    /** Most rows the replay buffer keeps (a uniform reservoir sample of all rows seen beyond that). */
    public int replayCapacity = 10_000;

    public RewardConfig() {
        learningRate = 1e-5;
        batchSize = 16;
    }

    /** The configured kind, or null when it is to be taken from the model. */
    public RewardModelKind kindOrNull() {
        return kind == null ? null : RewardModelKind.parse(kind);
    }

    @Override
    public void validate() {
        super.validate();
        if ((modelNameOrPath == null) == (initConfig == null)) {
            throw new BadInputException("give exactly one of model_name_or_path and init_config");
        }
        if (usePeft && initConfig != null) {
            throw new BadInputException("use_peft needs model_name_or_path: adapters train on a saved base model, "
                    + "not on init_config's fresh one");
        }
        if (initConfig != null && tokenizer == null) {
            throw new BadInputException("a new model (init_config) needs tokenizer");
        }
        if (trainFile == null || trainFile.isBlank()) {
            throw new BadInputException("train_file is required");
        }
        if (kind != null) {
            try {
                RewardModelKind.parse(kind);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
        }
        atLeast("eval_limit", evalLimit, 0);
        atLeast("max_length", maxLength, 2);
        if (!(replayFraction >= 0 && replayFraction < 1)) {
            throw new BadInputException("replay_fraction must be in [0, 1), got " + replayFraction);
        }
        atLeast("replay_capacity", replayCapacity, 1);
    }
}
