package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code sigmoid}: -log sigmoid(beta z), z = chosen - rejected log-ratio; with label_smoothing eps, conservative DPO (Rafailov et al. 2023, DPO (arXiv:2305.18290); Mitchell 2023, cDPO). */
public final class SigmoidLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "sigmoid";
    }

    @Override
    public String description() {
        return "-log sigmoid(beta z), z = chosen - rejected log-ratio; with label_smoothing eps, conservative DPO";
    }

    @Override
    public String paper() {
        return "Rafailov et al. 2023, DPO (arXiv:2305.18290); Mitchell 2023, cDPO";
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
        // d/dx[-log sigmoid(x)] = -sigmoid(-x); d/dx[-log sigmoid(-x)] = sigmoid(x)
        out.ofMargin((1 - eps) * softplus(-x) + eps * softplus(x), beta * (-(1 - eps) * sigmoid(-x) + eps * sigmoid(x)));
    }
}
