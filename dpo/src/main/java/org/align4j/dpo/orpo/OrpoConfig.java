package org.align4j.dpo.orpo;

import org.align4j.dpo.PreferenceDataConfig;

/**
 * ORPO settings with TRL's ORPOConfig names: no reference model; beta is the weight of the odds-ratio term (the
 * paper's lambda). Defaults are TRL's: beta 0.1, learning_rate 1e-6.
 */
public class OrpoConfig extends PreferenceDataConfig {
    /** Weight of the log odds ratio term against the NLL of the chosen completions (the paper's lambda). */
    public double beta = 0.1;

    public OrpoConfig() {
        learningRate = 1e-6;
    }

    @Override
    public void validate() {
        super.validate();
        refusePeft("orpo");
        positive("beta", beta);
    }
}
