package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code bco_pair}: -log sigmoid(beta c) - log sigmoid(-beta r): chosen and rejected classified separately (Jung et al. 2024, Binary Classifier Optimization (arXiv:2404.04656)). */
public final class BcoPairLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "bco_pair";
    }

    @Override
    public String description() {
        return "-log sigmoid(beta c) - log sigmoid(-beta r): chosen and rejected classified separately";
    }

    @Override
    public String paper() {
        return "Jung et al. 2024, Binary Classifier Optimization (arXiv:2404.04656)";
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double c = beta * chosen;
        double r = beta * rejected;
        out.loss = softplus(-c) + softplus(r);
        out.dChosen = -beta * sigmoid(-c);
        out.dRejected = beta * sigmoid(r);
    }
}
