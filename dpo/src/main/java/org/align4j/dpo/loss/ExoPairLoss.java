package org.align4j.dpo.loss;

import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;
import static org.align4j.dpo.loss.Logistic.softplus;

/** {@code exo_pair}: KL(sigmoid(beta z) || 1 - eps) over {chosen, rejected}; needs label_smoothing eps > 0 (1e-3 recommended) (Ji et al. 2024, EXO (arXiv:2402.00856)). */
public final class ExoPairLoss implements PreferenceLoss {
    @Override
    public String name() {
        return "exo_pair";
    }

    @Override
    public String description() {
        return "KL(sigmoid(beta z) || 1 - eps) over {chosen, rejected}; needs label_smoothing eps > 0 (1e-3 recommended)";
    }

    @Override
    public String paper() {
        return "Ji et al. 2024, EXO (arXiv:2402.00856)";
    }

    @Override
    public boolean usesLabelSmoothing() {
        return true;
    }

    @Override
    public void check(PreferenceParams p) {
        if (!(p.labelSmoothing() > 0)) {
            throw new IllegalArgumentException("loss_type exo_pair needs label_smoothing > 0 (EXO recommends 1e-3)");
        }
    }

    @Override
    public void pair(double chosen, double rejected, PreferenceParams p, PairTerm out) {
        double beta = p.beta();
        double eps = p.labelSmoothing();
        double x = beta * (chosen - rejected);
        double qw = sigmoid(x);
        double ql = sigmoid(-x);
        double lw = logSigmoid(x) - Math.log1p(-eps);
        double ll = logSigmoid(-x) - Math.log(eps);
        // d qw/dx = qw ql, d log qw/dx = ql, d ql/dx = -qw ql, d log ql/dx = -qw
        out.ofMargin(qw * lw + ql * ll, beta * qw * ql * (lw - ll));
    }
}
