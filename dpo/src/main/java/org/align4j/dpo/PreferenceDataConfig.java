package org.align4j.dpo;

import org.align4j.policy.train.AllowedValues;
import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.util.BadInputException;

/**
 * The model, data and truncation keys the preference trainers share (DPO, KTO, ORPO, SimPO), with TRL's names, on
 * top of the shared {@link TrainingConfig} keys.
 */
public class PreferenceDataConfig extends TrainingConfig {
    /** The model to train, a directory in Hugging Face layout (with a reference model, also its reference). */
    public String modelNameOrPath;
    /** JSONL rows (see the trainer's command for their keys). */
    public String trainFile;
    /** Same format as train_file; evaluated every eval_steps and at the end. */
    public String evalFile;
    /** Longest prompt + completion, in tokens; longer rows are truncated (see {@link PairTruncation}). */
    public int maxLength = 1024;
    /** What a too-long prompt is cut to. */
    public int maxPromptLength = 512;
    /** keep_end or keep_start: which end of a too-long prompt survives. */
    @AllowedValues(PairTruncation.Mode.class)
    public String truncationMode = "keep_end";

    public PairTruncation truncation() {
        return new PairTruncation(maxLength, maxPromptLength, PairTruncation.Mode.parse(truncationMode));
    }

    @Override
    public void validate() {
        super.validate();
        if (modelNameOrPath == null || modelNameOrPath.isBlank()) {
            throw new BadInputException("model_name_or_path is required (a model directory)");
        }
        if (trainFile == null || trainFile.isBlank()) {
            throw new BadInputException("train_file is required (a JSONL file)");
        }
        atLeast("max_prompt_length", maxPromptLength, 1);
        if (maxLength <= maxPromptLength) {
            throw new BadInputException("max_length (" + maxLength + ") must exceed max_prompt_length ("
                    + maxPromptLength + ") so that completions keep at least one token");
        }
        PairTruncation.Mode.parse(truncationMode);
    }

    /** KTO, ORPO and SimPO train full weights only (their checkpoints are plain Hugging Face models). */
    protected void refusePeft(String trainer) {
        if (usePeft) {
            throw new BadInputException("use_peft: " + trainer + " does not train LoRA adapters yet (sft, dpo, "
                    + "rm train and grpo do); remove use_peft or use dpo");
        }
    }
}
