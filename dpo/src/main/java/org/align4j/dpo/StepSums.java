package org.align4j.dpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sums of per-example values over a step (or an eval pass), each with its own count, whose means are the step's
 * metrics: a key that no example reported (no undesirable completion in a KTO batch, say) is left out.
 */
public final class StepSums {
    private final Map<String, double[]> sums = new LinkedHashMap<>();

    public void add(String key, double value) {
        double[] s = sums.computeIfAbsent(key, k -> new double[2]);
        s[0] += value;
        s[1]++;
    }

    /** Adds a value that is already this step's total (a micro-batch's share of the loss): counted once. */
    public void addTotal(String key, double value) {
        double[] s = sums.computeIfAbsent(key, k -> new double[] {0, 1});
        s[0] += value;
    }

    /**
     * Adds TRL's pair metrics: rewards/chosen, rewards/rejected, rewards/accuracies (chosen reward strictly higher),
     * rewards/margins, logps/chosen and logps/rejected.
     */
    public void addPair(double chosenReward, double rejectedReward, double chosenLogp, double rejectedLogp) {
        add("rewards/chosen", chosenReward);
        add("rewards/rejected", rejectedReward);
        add("rewards/accuracies", chosenReward > rejectedReward ? 1 : 0);
        add("rewards/margins", chosenReward - rejectedReward);
        add("logps/chosen", chosenLogp);
        add("logps/rejected", rejectedLogp);
    }

    public double mean(String key) {
        double[] s = sums.get(key);
        return s == null ? Double.NaN : s[0] / s[1];
    }

    /** The means, each key prefixed. */
    public Map<String, Double> means(String prefix) {
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, s) -> out.put(prefix + k, s[0] / s[1]));
        return out;
    }
}
