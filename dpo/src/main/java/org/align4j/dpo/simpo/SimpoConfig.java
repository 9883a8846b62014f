package org.align4j.dpo.simpo;

import java.util.List;
import org.align4j.dpo.PreferenceDataConfig;
import org.align4j.dpo.loss.PreferenceLosses;
import org.align4j.dpo.loss.PreferenceParams;
import org.align4j.policy.util.BadInputException;

/**
 * SimPO settings with the names of TRL's CPOConfig (SimPO is TRL's CPO with loss_type simpo). No reference model.
 * Defaults give SimPO as its paper runs it: loss_type simpo, beta 2.0, simpo_gamma 0.5 (TRL's), cpo_alpha 0 (set
 * it > 0 for CPO-SimPO, or loss_type sigmoid with cpo_alpha 1 for TRL's CPO default).
 */
public class SimpoConfig extends PreferenceDataConfig {
    static final List<String> LOSS_TYPES = List.of("simpo", "sigmoid", "hinge", "ipo");

    /** Scale of the reward margin (SimPO's beta; the paper uses 2.0 to 2.5). */
    public double beta = 2.0;
    /** simpo (length-normalised, with the margin simpo_gamma), or CPO's sigmoid, hinge or ipo. */
    public String lossType = "simpo";
    /** SimPO's target reward margin gamma. */
    public double simpoGamma = 0.5;
    /** Weight of the NLL of the chosen completions (CPO's BC regulariser; 0: pure SimPO). */
    public double cpoAlpha = 0.0;
    /** The assumed probability that a label is flipped, for simpo and sigmoid, in [0, 0.5). */
    public double labelSmoothing = 0.0;

    public SimpoConfig() {
        learningRate = 1e-6;
    }

    public CpoLoss loss() {
        return new CpoLoss(PreferenceLosses.get(lossType), new PreferenceParams(beta, labelSmoothing, simpoGamma),
                cpoAlpha);
    }

    @Override
    public void validate() {
        super.validate();
        refusePeft("simpo");
        positive("beta", beta);
        atLeast("cpo_alpha", cpoAlpha, 0);
        if (!LOSS_TYPES.contains(lossType)) {
            throw new BadInputException("unknown loss_type '" + lossType + "' (known: " + String.join(", ", LOSS_TYPES)
                    + ")");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new BadInputException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        try {
            loss();
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}
