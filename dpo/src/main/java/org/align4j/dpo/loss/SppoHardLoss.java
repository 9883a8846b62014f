package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code sppo_hard}: (c - 1 / (2 beta))^2 + (r + 1 / (2 beta))^2: SPPO with hard win probabilities 1 and 0 (Wu et al. 2024, Self-Play Preference Optimization (arXiv:2405.00675)). */
public final class SppoHardLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "sppo_hard";
    }

    @Override
    public String description() {
        return "(c - 1 / (2 beta))^2 + (r + 1 / (2 beta))^2: SPPO with hard win probabilities 1 and 0";
    }

    @Override
    public String paper() {
        return "Wu et al. 2024, Self-Play Preference Optimization (arXiv:2405.00675)";
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double w = chosen - 0.5 / beta;
        double l = rejected + 0.5 / beta;
        out.loss = w * w + l * l;
        out.dChosen = 2 * w;
        out.dRejected = 2 * l;
    }
}
