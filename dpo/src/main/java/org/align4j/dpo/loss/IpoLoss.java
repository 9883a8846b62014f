package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code ipo}: (z - 1 / (2 beta))^2 on token-mean log-ratios (Azar et al. 2023, IPO (arXiv:2310.12036)). */
public final class IpoLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "ipo";
    }

    @Override
    public String description() {
        return "(z - 1 / (2 beta))^2 on token-mean log-ratios";
    }

    @Override
    public String paper() {
        return "Azar et al. 2023, IPO (arXiv:2310.12036)";
    }

    @Override
    public boolean averagesTokens() {
        return true;
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double d = chosen - rejected - 1 / (2 * beta);
        out.ofMargin(d * d, 2 * d);
    }
}
