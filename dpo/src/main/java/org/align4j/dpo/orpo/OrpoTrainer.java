package org.align4j.dpo.orpo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.dpo.PairBatch;
import org.align4j.dpo.PreferencePair;
import org.align4j.dpo.PreferenceTrainer;
import org.align4j.dpo.StepSums;
import org.align4j.policy.model.Forward;

/**
 * ORPO (Hong et al. 2024, TRL's ORPOTrainer): supervised fine-tuning on the chosen completions plus an odds-ratio
 * penalty that favours them over the rejected ones, with no reference model ({@link OrpoLoss}). Logs TRL's
 * metrics: loss, nll_loss, log_odds_ratio, log_odds_chosen, rewards/chosen|rejected|accuracies|margins (beta times
 * the token-mean log-probs) and logps/chosen|rejected.
 */
public final class OrpoTrainer extends PreferenceTrainer<PreferencePair> {
    private final OrpoLoss loss;

    public OrpoTrainer(OrpoConfig config, boolean resume, PrintStream log) {
        super(config, resume, log);
        this.loss = new OrpoLoss(config.beta);
    }

    @Override
    public String name() {
        return "orpo";
    }

    @Override
    public String unit() {
        return "pairs";
    }

    @Override
    protected List<PreferencePair> read(Path file) {
        return readPairs(file);
    }

    @Override
    protected int length(PreferencePair p) {
        return p.longestLength();
    }

    @Override
    protected double run(List<PreferencePair> pairs, StepSums sums, boolean backward) {
        long chosenTokens = 0;
        for (PreferencePair p : pairs) {
            chosenTokens += p.chosen().length;
        }
        double total = 0;
        for (List<PreferencePair> mb : microBatches(pairs)) {
            PairBatch b = new PairBatch(mb, true);
            Forward f = policy.forward(b.tokens());
            double[][] lp = f.tokenLogProbs();
            double[] c = b.chosen(lp);
            double[] r = b.rejected(lp);
            int[] lens = b.chosenLengths();
            OrpoLoss.Result res = loss.compute(c, r, lens, pairs.size(), chosenTokens);
            if (backward) {
                f.backward(b.spread(res.dChosen, res.dRejected));
            }
            total += res.loss;
            sums.addTotal("nll_loss", res.nll);
            for (int i = 0; i < mb.size(); i++) {
                sums.addPair(loss.beta() * c[i], loss.beta() * r[i], c[i], r[i]);
                sums.add("log_odds_ratio", res.logOddsRatio[i]);
                sums.add("log_odds_chosen", res.logOdds[i]);
            }
        }
        sums.addTotal("loss", total);
        return total;
    }

    @Override
    protected Map<String, Double> progress(StepSums sums) {
        return Map.of("loss", sums.mean("loss"), "acc", sums.mean("rewards/accuracies"));
    }

    @Override
    public List<String> plotted() {
        return List.of("loss", "eval_loss", "nll_loss", "log_odds_ratio", "rewards/accuracies",
                "eval_rewards/accuracies", "rewards/margins", "learning_rate", "grad_norm");
    }
}
