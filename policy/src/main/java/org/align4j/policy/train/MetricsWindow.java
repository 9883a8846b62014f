package org.align4j.policy.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-step metrics averaged over a logging window, as TRL logs them: {@link #add} each step's values, and
 * {@link #means} at the logging step returns each key's mean over the steps that reported it and starts a new
 * window. Keys keep the order in which they first appeared.
 */
public final class MetricsWindow {
    private final Map<String, double[]> sums = new LinkedHashMap<>();

    /** Adds one step's values. */
    public void add(Map<String, ? extends Number> values) {
        values.forEach((k, v) -> {
            double[] s = sums.computeIfAbsent(k, x -> new double[2]);
            s[0] += v.doubleValue();
            s[1]++;
        });
    }

    public void add(String key, double value) {
        add(Map.of(key, value));
    }

    /** The means of the window's values, then an empty window. */
    public Map<String, Object> means() {
        Map<String, Object> out = new LinkedHashMap<>();
        sums.forEach((k, s) -> out.put(k, s[0] / s[1]));
        sums.clear();
        return out;
    }

    public boolean isEmpty() {
        return sums.isEmpty();
    }
}
