package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code robust}: ((1 - eps)(-log sigmoid(beta z)) - eps(-log sigmoid(-beta z))) / (1 - 2 eps): unbiased under label noise eps (Chowdhury et al. 2024, Provably Robust DPO (arXiv:2403.00409)). */
public final class RobustLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "robust";
    }

    @Override
    public String description() {
        return "((1 - eps)(-log sigmoid(beta z)) - eps(-log sigmoid(-beta z))) / (1 - 2 eps): unbiased under label noise eps";
    }

    @Override
    public String paper() {
        return "Chowdhury et al. 2024, Provably Robust DPO (arXiv:2403.00409)";
    }

    @Override
    public boolean usesLabelSmoothing() {
        return true;
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double eps = p.labelSmoothing();
        double x = beta * (chosen - rejected);
        double loss = ((1 - eps) * softplus(-x) - eps * softplus(x)) / (1 - 2 * eps);
        double slope = beta * (-(1 - eps) * sigmoid(-x) - eps * sigmoid(x)) / (1 - 2 * eps);
        out.ofMargin(loss, slope);
    }
}
