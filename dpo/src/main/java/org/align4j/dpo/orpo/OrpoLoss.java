package org.align4j.dpo.orpo;

import static org.align4j.dpo.loss.Logistic.log1mexp;
import static org.align4j.dpo.loss.Logistic.logSigmoid;
import static org.align4j.dpo.loss.Logistic.sigmoid;

import org.align4j.dpo.ChosenNll;

/**
 * ORPO (Hong et al. 2024, eqs. 4-7, as TRL's ORPOTrainer): no reference model. With c and r the token-mean
 * log-probs of the chosen and rejected completions,
 *
 * <pre>
 *   log_odds = (c - r) - (log(1 - e^c) - log(1 - e^r))
 *   loss     = NLL(chosen tokens) - beta * mean over pairs of log sigmoid(log_odds)
 * </pre>
 */
public final class OrpoLoss {
    private final double beta;

    public OrpoLoss(double beta) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive, got " + beta);
        }
        this.beta = beta;
    }

    public double beta() {
        return beta;
    }

    /** Loss, gradient and TRL's statistics of a (micro-)batch of pairs. */
    public static final class Result {
        /** This batch's share of the loss. */
        public double loss;
        /** This batch's share of the NLL term. */
        public double nll;
        /** d(loss)/d(chosen mean log-prob) and d(loss)/d(rejected mean log-prob) per pair. */
        public double[] dChosen;
        public double[] dRejected;
        /** log sigmoid(log_odds) and log_odds per pair (TRL's log_odds_ratio and log_odds_chosen). */
        public double[] logOddsRatio;
        public double[] logOdds;
    }

    /**
     * @param chosen            token-mean log-probs of the chosen completions (all negative)
     * @param rejected          the same for the rejected ones
     * @param chosenLengths     tokens of each chosen completion
     * @param totalPairs        pairs in the optimizer batch
     * @param totalChosenTokens chosen completion tokens in the optimizer batch
     */
    public Result compute(double[] chosen, double[] rejected, int[] chosenLengths, int totalPairs,
                          long totalChosenTokens) {
        int n = chosen.length;
        Result r = new Result();
        r.dChosen = new double[n];
        r.dRejected = new double[n];
        r.logOddsRatio = new double[n];
        r.logOdds = new double[n];
        r.nll = ChosenNll.value(chosen, chosenLengths, totalChosenTokens);
        r.loss = r.nll;
        double scale = 1.0 / totalPairs;
        for (int i = 0; i < n; i++) {
            double c = chosen[i];
            double l = rejected[i];
            double lo = (c - l) - (log1mexp(c) - log1mexp(l));
            r.logOdds[i] = lo;
            r.logOddsRatio[i] = logSigmoid(lo);
            r.loss -= scale * beta * r.logOddsRatio[i];
            // d log sigmoid(lo)/d lo = sigmoid(-lo); d lo/dc = 1 / (1 - e^c); d lo/dr = -1 / (1 - e^r)
            double g = -scale * beta * sigmoid(-lo);
            r.dChosen[i] = g / -Math.expm1(c) + ChosenNll.dMeanLogp(chosenLengths[i], totalChosenTokens);
            r.dRejected[i] = -g / -Math.expm1(l);
        }
        return r;
    }
}
