package org.align4j.dpo.loss;

/**
 * The coefficients preference losses read.
 *
 * @param beta           the inverse temperature of the implicit reward (TRL's beta)
 * @param labelSmoothing the assumed probability that a label is flipped (cDPO, robust DPO, EXO)
 * @param gamma          SimPO's target reward margin (TRL's simpo_gamma)
 */
public record PreferenceParams(double beta, double labelSmoothing, double gamma) {
    public PreferenceParams {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, got " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
    }

    public static PreferenceParams of(double beta, double labelSmoothing) {
        return new PreferenceParams(beta, labelSmoothing, 0);
    }
}
