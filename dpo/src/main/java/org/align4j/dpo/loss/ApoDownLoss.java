package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code apo_down}: sigmoid(beta c) + 1 - sigmoid(beta z): lower both, rejected more (chosen worse than the model) (D'Oosterlinck et al. 2024, Anchored Preference Optimization (arXiv:2408.06266)). */
public final class ApoDownLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "apo_down";
    }

    @Override
    public String description() {
        return "sigmoid(beta c) + 1 - sigmoid(beta z): lower both, rejected more (chosen worse than the model)";
    }

    @Override
    public String paper() {
        return "D'Oosterlinck et al. 2024, Anchored Preference Optimization (arXiv:2408.06266)";
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double sc = sigmoid(beta * chosen);
        double sz = sigmoid(beta * (chosen - rejected));
        out.loss = sc + 1 - sz;
        out.dChosen = beta * sc * (1 - sc) - beta * sz * (1 - sz);
        out.dRejected = beta * sz * (1 - sz);
    }
}
