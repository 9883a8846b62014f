package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code hinge}: max(0, 1 - beta z) (SLiC) (Zhao et al. 2023, SLiC-HF (arXiv:2305.10425)). */
public final class HingeLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "hinge";
    }

    @Override
    public String description() {
        return "max(0, 1 - beta z) (SLiC)";
    }

    @Override
    public String paper() {
        return "Zhao et al. 2023, SLiC-HF (arXiv:2305.10425)";
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double x = beta * (chosen - rejected);
        if (1 - x > 0) {
            out.ofMargin(1 - x, -beta);
        } else {
            out.ofMargin(0, 0);
        }
    }
}
