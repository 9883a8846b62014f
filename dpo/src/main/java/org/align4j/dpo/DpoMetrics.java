package org.align4j.dpo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.policy.train.Collective;

/**
 * Running means of what TRL's DPOTrainer logs, over every pair seen since the last {@link #reset()}:
 * {@code loss}, {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/accuracies} (the share of
 * pairs whose chosen reward is strictly higher), {@code rewards/margins} (chosen minus rejected reward),
 * {@code logps/chosen} and {@code logps/rejected} (policy sequence log-probs).
 */
public final class DpoMetrics {
    private long pairs;
    private double loss;
    private double chosenReward;
    private double rejectedReward;
    private double correct;
    private double chosenLogp;
    private double rejectedLogp;

    /** Adds a batch: its loss result and the policy's sequence log-probs it came from. */
    public void add(DpoLoss.Result r, double[] chosen, double[] rejected) {
        for (int i = 0; i < chosen.length; i++) {
            pairs++;
            loss += r.pairLoss[i];
            chosenReward += r.chosenRewards[i];
            rejectedReward += r.rejectedRewards[i];
            correct += r.chosenRewards[i] > r.rejectedRewards[i] ? 1 : 0;
            chosenLogp += chosen[i];
            rejectedLogp += rejected[i];
        }
    }

    /** Adds everything other holds. */
    public void add(DpoMetrics other) {
        pairs += other.pairs;
        loss += other.loss;
        chosenReward += other.chosenReward;
        rejectedReward += other.rejectedReward;
        correct += other.correct;
        chosenLogp += other.chosenLogp;
        rejectedLogp += other.rejectedLogp;
    }

    /** Sums every statistic over the ranks of a data-parallel step (all ranks call it together). */
    public void sumOver(Collective ranks) {
        if (ranks.size() == 1) {
            return;
        }
        double[] v = {pairs, loss, chosenReward, rejectedReward, correct, chosenLogp, rejectedLogp};
        ranks.allReduceSum(v);
        pairs = Math.round(v[0]);
        loss = v[1];
        chosenReward = v[2];
        rejectedReward = v[3];
        correct = v[4];
        chosenLogp = v[5];
        rejectedLogp = v[6];
    }

    public long pairs() {
        return pairs;
    }

    public double loss() {
        return loss / pairs;
    }

    public double accuracy() {
        return correct / pairs;
    }

    public double margin() {
        return (chosenReward - rejectedReward) / pairs;
    }

    /** The means under TRL's names, each prefixed (e.g. "eval_"); empty when nothing was added. */
    public Map<String, Double> means(String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (pairs == 0) {
            return m;
        }
        m.put(prefix + "loss", loss / pairs);
        m.put(prefix + "rewards/chosen", chosenReward / pairs);
        m.put(prefix + "rewards/rejected", rejectedReward / pairs);
        m.put(prefix + "rewards/accuracies", correct / pairs);
        m.put(prefix + "rewards/margins", margin());
        m.put(prefix + "logps/chosen", chosenLogp / pairs);
        m.put(prefix + "logps/rejected", rejectedLogp / pairs);
        return m;
    }

    public void reset() {
        pairs = 0;
        loss = chosenReward = rejectedReward = correct = chosenLogp = rejectedLogp = 0;
    }
}
