package org.align4j.policy.sft;

import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.util.BadInputException;

/** Supervised fine-tuning settings (TRL's SFTConfig names where they exist). */
public class SftConfig extends TrainingConfig {
    /** A model directory to start from; or leave empty and give init_config for a new model. */
    public String modelNameOrPath;
    /** A config.json for a freshly initialised model (text data also needs tokenizer). */
    public String initConfig;
    /** tokenizer.json or a directory holding it; defaults to the model directory. */
    public String tokenizer;
    /**
     * JSONL rows {"prompt", "completion"}, {"text"}, conversational {"messages": [...]} or {"prompt": [...],
     * "completion": [...]} (rendered by the tokenizer's chat template), or pre-tokenized {"prompt_ids", "completion_ids"}.
     */
    public String trainFile;
    /** Held-out rows in train_file's format, for the eval loss every eval_steps and after the last step. */
    public String evalFile;
    /** Sequences longer than this are cut (from the end). */
    public int maxLength = 512;
    /** Loss on completion tokens only for prompt/completion rows (TRL's completion_only_loss). */
    public boolean completionOnlyLoss = true;
    /** For conversational {"messages"} rows: loss on the assistant turns only (TRL's assistant_only_loss). */
    public boolean assistantOnlyLoss = false;
    /** Held-out rows used for each eval loss (0: all). */
    public int evalLimit = 256;

    public SftConfig() {
        learningRate = 1e-3;
        lrSchedulerType = "cosine";
        warmupRatio = 0.05;
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
        if (trainFile == null) {
            throw new BadInputException("train_file is required");
        }
        atLeast("max_length", maxLength, 2);
        atLeast("eval_limit", evalLimit, 0);
    }
}
