package org.align4j.dpo.loss;

/** log-sigmoid and friends without overflow. */
public final class Logistic {
    private Logistic() {
    }

    /** log(1 + e^x) = -log sigmoid(-x). */
    public static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** log sigmoid(x). */
    public static double logSigmoid(double x) {
        return -softplus(-x);
    }

    /** log(1 - e^x) for x < 0 (ORPO's log-odds). */
    public static double log1mexp(double x) {
        return x > -0.6931471805599453 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
    }
}
