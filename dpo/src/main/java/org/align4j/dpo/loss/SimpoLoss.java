package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code simpo}: -log sigmoid(beta (z - gamma / beta)) on token-mean log-probs without a reference (SimPO, TRL CPO loss_type simpo) (Meng et al. 2024, SimPO (arXiv:2405.14734)). */
public final class SimpoLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "simpo";
    }

    @Override
    public String description() {
        return "-log sigmoid(beta (z - gamma / beta)) on token-mean log-probs without a reference (SimPO, TRL CPO loss_type simpo)";
    }

    @Override
    public String paper() {
        return "Meng et al. 2024, SimPO (arXiv:2405.14734)";
    }

    @Override
    public boolean averagesTokens() {
        return true;
    }

    @Override
    public boolean usesLabelSmoothing() {
        return true;
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double eps = p.labelSmoothing();
        double x = beta * (chosen - rejected) - p.gamma();
        out.ofMargin((1 - eps) * softplus(-x) + eps * softplus(x), beta * (-(1 - eps) * sigmoid(-x) + eps * sigmoid(x)));
    }
}
