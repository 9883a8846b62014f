package org.align4j.dpo.kto;

import org.align4j.dpo.PreferenceDataConfig;

/**
 * KTO settings with TRL's KTOConfig names. Defaults are TRL's: beta 0.1, loss_type kto, desirable_weight and
 * undesirable_weight 1.0, learning_rate 1e-6. With unbalanced data, the KTO paper keeps
 * desirable_weight x desirable examples / (undesirable_weight x undesirable examples) in [1, 4/3].
 */
public class KtoConfig extends PreferenceDataConfig {
    /** Strength of the implicit KL penalty, as DPO's beta. */
    public double beta = 0.1;
    /** kto (with the KL reference point) or apo_zero_unpaired. */
    public String lossType = "kto";
    /** Weight of the loss of desirable completions. */
    public double desirableWeight = 1.0;
    /** Weight of the loss of undesirable completions. */
    public double undesirableWeight = 1.0;

    public KtoConfig() {
        learningRate = 1e-6;
    }

    public KtoLoss loss() {
        return new KtoLoss(KtoLoss.Type.parse(lossType), beta, desirableWeight, undesirableWeight);
    }

    @Override
    public void validate() {
        super.validate();
        refusePeft("kto");
        positive("beta", beta);
        positive("desirable_weight", desirableWeight);
        positive("undesirable_weight", undesirableWeight);
        KtoLoss.Type.parse(lossType);
    }
}
