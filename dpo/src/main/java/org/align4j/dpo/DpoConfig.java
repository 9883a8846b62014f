package org.align4j.dpo;

import org.align4j.policy.train.AllowedValues;

import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.util.BadInputException;

/**
 * DPO settings with TRL's DPOConfig key names, on top of the shared {@link TrainingConfig} keys. Defaults are
 * TRL's: beta 0.1, loss_type sigmoid, learning_rate 1e-6, truncation_mode keep_end.
 */
public class DpoConfig extends TrainingConfig {
    /** The model to train, a directory in Hugging Face layout; it is also the reference policy. */
    public String modelNameOrPath;
    /** JSONL rows {"prompt", "chosen", "rejected"} (text or chat messages) or {"prompt_ids", "chosen_ids", "rejected_ids"}. */
    public String trainFile;
    /** Same format as train_file; evaluated every eval_steps and at the end. */
    public String evalFile;
    /** Strength of the implicit KL penalty: larger keeps the policy closer to the reference. */
    public double beta = 0.1;
    /** sigmoid, hinge or ipo (see {@link DpoLossType}). */
    @AllowedValues(DpoLossType.class)
    public String lossType = "sigmoid";
    /** Conservative DPO: the assumed probability that a preference label is flipped, in [0, 0.5). */
    public double labelSmoothing = 0.0;
    /** Longest prompt + completion, in tokens; longer pairs are truncated (see {@link PairTruncation}). */
    public int maxLength = 1024;
    /** What a too-long prompt is cut to. */
    public int maxPromptLength = 512;
    /** keep_end or keep_start: which end of a too-long prompt survives. */
    @AllowedValues(PairTruncation.Mode.class)
    public String truncationMode = "keep_end";
    /**
     * Compute reference log-probs once before training instead of running a frozen copy of the model at every
     * step: one extra pass over the data, and no second model in memory during training.
     */
    public boolean precomputeRefLogProbs = false;
    /** Pairs per forward pass when precomputing; 0 uses batch_size. */
    public int precomputeRefBatchSize = 0;

    public DpoConfig() {
        learningRate = 1e-6;
    }

    public DpoLoss loss() {
        return new DpoLoss(DpoLossType.parse(lossType), beta, labelSmoothing);
    }

    public PairTruncation truncation() {
        return new PairTruncation(maxLength, maxPromptLength, PairTruncation.Mode.parse(truncationMode));
    }

    public int refBatchSize() {
        return precomputeRefBatchSize > 0 ? precomputeRefBatchSize : batchSize;
    }

    @Override
    public void validate() {
        super.validate();
        if (modelNameOrPath == null || modelNameOrPath.isBlank()) {
            throw new BadInputException("model_name_or_path is required (a model directory)");
        }
        if (trainFile == null || trainFile.isBlank()) {
            throw new BadInputException("train_file is required (a JSONL file of preference pairs)");
        }
        positive("beta", beta);
        DpoLossType type = DpoLossType.parse(lossType);
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new BadInputException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (labelSmoothing > 0 && type != DpoLossType.SIGMOID) {
            throw new BadInputException("label_smoothing applies to loss_type sigmoid only, not " + lossType);
        }
        atLeast("max_prompt_length", maxPromptLength, 1);
        if (maxLength <= maxPromptLength) {
            throw new BadInputException("max_length (" + maxLength + ") must exceed max_prompt_length ("
                    + maxPromptLength + ") so that completions keep at least one token");
        }
        PairTruncation.Mode.parse(truncationMode);
        atLeast("precompute_ref_batch_size", precomputeRefBatchSize, 0);
    }
}
