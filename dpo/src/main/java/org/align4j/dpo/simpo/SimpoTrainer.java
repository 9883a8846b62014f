package org.align4j.dpo.simpo;

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
 * SimPO (Meng et al. 2024) as TRL's CPOTrainer with loss_type simpo: a preference loss on the policy's own
 * length-normalised log-probs with a target margin, no reference model ({@link CpoLoss}); CPO's sigmoid, hinge and
 * ipo and its NLL term (cpo_alpha) too. Logs TRL's CPO metrics: loss, nll_loss, rewards/chosen|rejected|accuracies|
 * margins (beta times the policy log-probs) and logps/chosen|rejected.
 */
public final class SimpoTrainer extends PreferenceTrainer<PreferencePair> {
    private final CpoLoss loss;

    public SimpoTrainer(SimpoConfig config, boolean resume, PrintStream log) {
        super(config, resume, log);
        this.loss = config.loss();
    }

    @Override
    public String name() {
        return "simpo";
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
        boolean mean = loss.type().averagesTokens();
        double total = 0;
        for (List<PreferencePair> mb : microBatches(pairs)) {
            PairBatch b = new PairBatch(mb, mean);
            Forward f = policy.forward(b.tokens());
            double[][] lp = f.tokenLogProbs();
            double[] c = b.chosen(lp);
            double[] r = b.rejected(lp);
            int[] lens = b.chosenLengths();
            CpoLoss.Result res = loss.compute(c, r, lens, pairs.size(), chosenTokens);
            if (backward) {
                f.backward(b.spread(res.dChosen, res.dRejected));
            }
            total += res.loss;
            sums.addTotal("nll_loss", res.nll);
            for (int i = 0; i < mb.size(); i++) {
                sums.addPair(res.chosenRewards[i], res.rejectedRewards[i], c[i], r[i]);
            }
        }
        sums.addTotal("loss", total);
        return total;
    }

    @Override
    protected Map<String, Double> progress(StepSums sums) {
        return Map.of("loss", sums.mean("loss"), "acc", sums.mean("rewards/accuracies"),
                "margin", sums.mean("rewards/margins"));
    }

    @Override
    public List<String> plotted() {
        return List.of("loss", "eval_loss", "rewards/accuracies", "eval_rewards/accuracies", "rewards/margins",
                "rewards/chosen", "rewards/rejected", "nll_loss", "learning_rate", "grad_norm");
    }
}
