package org.align4j.reward;

import java.util.Collections;
import java.util.List;

/**
 * The result of {@link WeightedRewards#score}: the weighted total per row, and each function's raw
 * value per row ({@code null} where it abstained) for per-function metrics.
 */
public final class WeightedScores {

    private final List<String> names;
    private final List<List<Double>> perFunction;
    private final double[] totals;

    WeightedScores(List<String> names, List<List<Double>> perFunction, double[] totals) {
        this.names = List.copyOf(names);
        this.perFunction = perFunction.stream().map(Collections::unmodifiableList).toList();
        this.totals = totals;
    }

    public int rows() {
        return totals.length;
    }

    public double total(int row) {
        return totals[row];
    }

    public double[] totals() {
        return totals.clone();
    }

    public List<String> names() {
        return names;
    }

    /** The raw (unweighted) value of function {@code function} on {@code row}; {@code null} if it abstained. */
    public Double value(int function, int row) {
        return perFunction.get(function).get(row);
    }

    /** Function {@code function}'s raw values in row order ({@code null} = abstained). */
    public List<Double> values(int function) {
        return perFunction.get(function);
    }

    /**
     * Mean of a function's raw values over the rows where it did not abstain (TRL's nanmean);
     * NaN when it abstained everywhere.
     */
    public double mean(int function) {
        double sum = 0;
        int count = 0;
        for (Double v : perFunction.get(function)) {
            if (v != null && !v.isNaN()) {
                sum += v;
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }
}
