package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code apo_zero}: 1 - sigmoid(beta c) + sigmoid(beta r): raise chosen, lower rejected (chosen better than the model) (D'Oosterlinck et al. 2024, Anchored Preference Optimization (arXiv:2408.06266)). */
public final class ApoZeroLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "apo_zero";
    }

    @Override
    public String description() {
        return "1 - sigmoid(beta c) + sigmoid(beta r): raise chosen, lower rejected (chosen better than the model)";
    }

    @Override
    public String paper() {
        return "D'Oosterlinck et al. 2024, Anchored Preference Optimization (arXiv:2408.06266)";
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double sc = sigmoid(beta * chosen);
        double sr = sigmoid(beta * rejected);
        out.loss = 1 - sc + sr;
        out.dChosen = -beta * sc * (1 - sc);
        out.dRejected = beta * sr * (1 - sr);
    }
}
