package org.align4j.dpo;

import org.align4j.dpo.loss.PreferenceLoss;
import org.align4j.dpo.loss.PreferenceLosses;
import org.align4j.dpo.loss.PreferenceParams;
import org.align4j.dpo.loss.SimpoLoss;
import org.align4j.policy.train.AllowedValues;
import org.align4j.policy.util.BadInputException;

/**
 * DPO settings with TRL's DPOConfig key names, on top of the shared {@link PreferenceDataConfig} keys. Defaults are
 * TRL's: beta 0.1, loss_type sigmoid, learning_rate 1e-6, truncation_mode keep_end.
 */
public class DpoConfig extends PreferenceDataConfig {
    /** Strength of the implicit KL penalty: larger keeps the policy closer to the reference. */
    public double beta = 0.1;
    /** sigmoid, hinge, ipo, exo_pair, nca_pair, robust, bco_pair, sppo_hard, apo_zero, apo_down or sigmoid_norm
     * (TRL's names; see docs/preference.md and the registry PreferenceLosses). */
    @AllowedValues(PreferenceLosses.Names.class)
    public String lossType = "sigmoid";
    /** The assumed probability that a preference label is flipped, in [0, 0.5): conservative DPO for sigmoid, and
     * the noise level of robust and exo_pair. */
    public double labelSmoothing = 0.0;
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
        return new DpoLoss(PreferenceLosses.get(lossType), beta, labelSmoothing);
    }

    public int refBatchSize() {
        return precomputeRefBatchSize > 0 ? precomputeRefBatchSize : batchSize;
    }

    @Override
    public void validate() {
        super.validate();
        positive("beta", beta);
        PreferenceLoss type = PreferenceLosses.get(lossType);
        if (type instanceof SimpoLoss) {
            throw new BadInputException("loss_type simpo has no reference model: use the simpo command");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new BadInputException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        try {
            type.check(PreferenceParams.of(beta, labelSmoothing));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        atLeast("precompute_ref_batch_size", precomputeRefBatchSize, 0);
    }
}
