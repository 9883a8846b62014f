package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code nca_pair}: -log sigmoid(beta c) - log sigmoid(-beta c) / 2 - log sigmoid(-beta r) / 2 on the chosen and rejected log-ratios (Chen et al. 2024, Noise Contrastive Alignment (arXiv:2402.05369)). */
public final class NcaPairLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "nca_pair";
    }

    @Override
    public String description() {
        return "-log sigmoid(beta c) - log sigmoid(-beta c) / 2 - log sigmoid(-beta r) / 2 on the chosen and rejected log-ratios";
    }

    @Override
    public String paper() {
        return "Chen et al. 2024, Noise Contrastive Alignment (arXiv:2402.05369)";
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double c = beta * chosen;
        double r = beta * rejected;
        out.loss = softplus(-c) + 0.5 * softplus(c) + 0.5 * softplus(r);
        out.dChosen = beta * (-sigmoid(-c) + 0.5 * sigmoid(c));
        out.dRejected = beta * 0.5 * sigmoid(r);
    }
}
