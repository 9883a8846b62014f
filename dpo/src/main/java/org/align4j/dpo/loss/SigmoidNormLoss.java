package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code sigmoid_norm}: -log sigmoid(beta z) on token-mean log-ratios (length-normalised DPO) (TRL DPOTrainer loss_type sigmoid_norm). */
public final class SigmoidNormLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "sigmoid_norm";
    }

    @Override
    public String description() {
        return "-log sigmoid(beta z) on token-mean log-ratios (length-normalised DPO)";
    }

    @Override
    public String paper() {
        return "TRL DPOTrainer loss_type sigmoid_norm";
    }

    @Override
    public boolean averagesTokens() {
        return true;
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double x = beta * (chosen - rejected);
        out.ofMargin(softplus(-x), -beta * sigmoid(-x));
    }
}
