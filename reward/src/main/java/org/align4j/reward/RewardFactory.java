package org.align4j.reward;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.UnitTestReward;
import org.align4j.reward.math.ArithmeticStepReward;
import org.align4j.reward.math.MathAnswerReward;
import org.align4j.reward.math.MathFormatReward;
import org.align4j.reward.model.ProcessRewardModelReward;
import org.align4j.reward.model.RewardModelReward;
import org.align4j.reward.remote.HttpReward;

/**
 * Builds rewards from config entries: {@code {type: math_answer}} for a built-in, or
 * {@code {class: com.example.MyReward, weight: 0.5, ...params}} for a user class, which must be
 * public, implement {@link OutcomeReward} (or {@link ProcessReward}) and have a public constructor
 * taking {@code Map<String, Object>} (given the entry's other keys) or none (then the entry may have
 * no other keys). {@code weight} (default 1) is only used by {@link #weighted}.
 */
public final class RewardFactory {

    private static final Map<String, Function<Map<String, Object>, Object>> BUILT_IN = new LinkedHashMap<>();

    static {
        BUILT_IN.put(MathAnswerReward.TYPE, MathAnswerReward::new);
        BUILT_IN.put(MathFormatReward.TYPE, MathFormatReward::new);
        BUILT_IN.put(ArithmeticStepReward.TYPE, ArithmeticStepReward::new);
        BUILT_IN.put(UnitTestReward.PYTHON_TYPE, params -> new UnitTestReward(Language.PYTHON, params));
        BUILT_IN.put(UnitTestReward.JAVA_TYPE, params -> new UnitTestReward(Language.JAVA, params));
        BUILT_IN.put(UnitTestReward.CPP_TYPE, params -> new UnitTestReward(Language.CPP, params));
        BUILT_IN.put(UnitTestReward.JAVASCRIPT_TYPE, params -> new UnitTestReward(Language.JAVASCRIPT, params));
        BUILT_IN.put(RewardModelReward.TYPE, RewardModelReward::new);
        BUILT_IN.put(ProcessRewardModelReward.TYPE, ProcessRewardModelReward::new);
        BUILT_IN.put(HttpReward.TYPE, HttpReward::new);
        BUILT_IN.put(EnvironmentReward.TYPE, EnvironmentReward::new);
    }

    private RewardFactory() {
    }

    /** The built-in {@code type} names. */
    public static List<String> builtInTypes() {
        return List.copyOf(BUILT_IN.keySet());
    }

    public static OutcomeReward outcome(Map<String, Object> entry) {
        return build(entry, OutcomeReward.class, "reward");
    }

    public static ProcessReward process(Map<String, Object> entry) {
        return build(entry, ProcessReward.class, "process reward");
    }

    /**
     * Outcome rewards with their weights from a config list; errors name the entry as
     * {@code rewards[i]}.
     */
    public static WeightedRewards weighted(List<Map<String, Object>> entries) {
        List<OutcomeReward> rewards = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        try {
            for (int i = 0; i < entries.size(); i++) {
                Map<String, Object> entry = entries.get(i);
                try {
                    weights.add(weight(entry));
                    rewards.add(outcome(entry));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("rewards[" + i + "]: " + e.getMessage(), e);
                }
            }
            return new WeightedRewards(rewards, weights);
        } catch (RuntimeException e) {
            rewards.forEach(OutcomeReward::close);
            throw e;
        }
    }

    private static double weight(Map<String, Object> entry) {
        Object w = entry.get("weight");
        if (w == null) {
            return 1.0;
        }
        if (w instanceof Number n && Double.isFinite(n.doubleValue())) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(w.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("key 'weight' must be a number, got '" + w + "'");
        }
    }

    private static <T> T build(Map<String, Object> entry, Class<T> kind, String what) {
        Object type = entry.get("type");
        Object className = entry.get("class");
        if ((type == null) == (className == null)) {
            throw new IllegalArgumentException("a " + what + " entry needs exactly one of 'type' (one of "
                    + String.join(", ", BUILT_IN.keySet()) + ") or 'class', got keys " + new TreeSet<>(entry.keySet()));
        }
        Map<String, Object> params = new LinkedHashMap<>(entry);
        params.remove("type");
        params.remove("class");
        params.remove("weight");
        Object built;
        String label;
        if (type != null) {
            label = "type '" + type + "'";
            Function<Map<String, Object>, Object> maker = BUILT_IN.get(type.toString());
            if (maker == null) {
                throw new IllegalArgumentException("unknown reward type '" + type + "' (known: "
                        + String.join(", ", BUILT_IN.keySet()) + "; or give 'class' for your own)");
            }
            built = maker.apply(params);
        } else {
            label = "class '" + className + "'";
            built = instantiate(className.toString(), params, kind);
        }
        if (!kind.isInstance(built)) {
            if (built instanceof AutoCloseable c) {
                closeQuietly(c);
            }
            throw new IllegalArgumentException(label + " is not a" + (kind == OutcomeReward.class ? "n " : " ")
                    + kind.getSimpleName() + (built instanceof OutcomeReward ? " (it is an OutcomeReward)"
                    : built instanceof ProcessReward ? " (it is a ProcessReward)" : ""));
        }
        return kind.cast(built);
    }

    private static Object instantiate(String className, Map<String, Object> params, Class<?> kind) {
        Class<?> cls;
        try {
            cls = Class.forName(className, true, Thread.currentThread().getContextClassLoader() != null
                    ? Thread.currentThread().getContextClassLoader() : RewardFactory.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("reward class '" + className + "' not found on the classpath", e);
        }
        if (!OutcomeReward.class.isAssignableFrom(cls) && !ProcessReward.class.isAssignableFrom(cls)) {
            throw new IllegalArgumentException("class '" + className + "' does not implement " + kind.getName());
        }
        try {
            Constructor<?> withMap = publicConstructor(cls, Map.class);
            if (withMap != null) {
                return withMap.newInstance(params);
            }
            Constructor<?> noArg = publicConstructor(cls);
            if (noArg == null) {
                throw new IllegalArgumentException("class '" + className
                        + "' needs a public constructor taking Map<String, Object> or no arguments");
            }
            if (!params.isEmpty()) {
                throw new IllegalArgumentException("class '" + className + "' takes no parameters (it has no Map "
                        + "constructor) but the entry has " + new TreeSet<>(params.keySet()));
            }
            return noArg.newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new IllegalArgumentException("class '" + className + "': constructor failed: "
                    + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
        } catch (InstantiationException | IllegalAccessException e) {
            throw new IllegalArgumentException("class '" + className + "' cannot be instantiated: " + e.getMessage(), e);
        }
    }

    private static Constructor<?> publicConstructor(Class<?> cls, Class<?>... params) {
        try {
            return cls.getConstructor(params);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the reward is discarded anyway
        }
    }
}
