package org.align4j.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, validated access to a reward's config parameters, so that a bad value fails with a message
 * naming the reward and the key instead of a ClassCastException deep inside a run.
 */
public final class RewardParams {

    private final String owner;
    private final Map<String, Object> values;

    public RewardParams(String owner, Map<String, Object> values) {
        this.owner = owner;
        this.values = values == null ? Map.of() : new LinkedHashMap<>(values);
    }

    /** Fails naming every key that is not in {@code known}. */
    public RewardParams allowOnly(String... known) {
        Set<String> allowed = Set.of(known);
        List<String> unknown = new ArrayList<>();
        for (String key : values.keySet()) {
            if (!allowed.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(owner + ": unknown key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown.stream().map(k -> "'" + k + "'").toList())
                    + " (known: " + String.join(", ", new TreeSet<>(allowed)) + ")");
        }
        return this;
    }

    public boolean has(String key) {
        return values.get(key) != null;
    }

    public String string(String key, String fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Map || v instanceof List) {
            throw bad(key, v, "a string");
        }
        return v.toString();
    }

    public int integer(String key, int fallback, int min, int max) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        long n;
        if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
            n = num.longValue();
        } else {
            try {
                n = Long.parseLong(v.toString().trim());
            } catch (NumberFormatException e) {
                throw bad(key, v, "an integer");
            }
        }
        if (n < min || n > max) {
            throw bad(key, v, "an integer in [" + min + ", " + max + "]");
        }
        return (int) n;
    }

    public double number(String key, double fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number num) {
            return num.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw bad(key, v, "a number");
        }
    }

    /** An enum constant chosen by its lower-case name ({@code fraction} for {@code FRACTION}). */
    public <E extends Enum<E>> E choice(String key, E fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        for (E constant : fallback.getDeclaringClass().getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(v.toString().trim())) {
                return constant;
            }
        }
        String options = String.join("|", Arrays.stream(fallback.getDeclaringClass().getEnumConstants())
                .map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
        throw bad(key, v, "one of " + options);
    }

    private IllegalArgumentException bad(String key, Object value, String expected) {
        return new IllegalArgumentException(owner + ": key '" + key + "' must be " + expected + ", got '" + value + "'");
    }
}
