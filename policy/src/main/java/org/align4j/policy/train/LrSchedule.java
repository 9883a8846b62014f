package org.align4j.policy.train;

import org.align4j.policy.util.BadInputException;

import java.util.Arrays;
import java.util.Locale;

/**
 * Learning rate as a function of the optimizer step, with the conventions of Hugging Face transformers'
 * schedulers: {@code lr(step)} is the rate for the update that follows {@code step} completed updates, so with
 * warmup the first update uses 0, and warmup rises linearly as step / warmupSteps.
 * <ul>
 *   <li>{@code constant}: warmup, then the peak;</li>
 *   <li>{@code linear}: warmup, then linear decay to 0 at totalSteps;</li>
 *   <li>{@code cosine}: warmup, then half a cosine from the peak down to minLrRatio * peak at totalSteps;</li>
 *   <li>{@code multi_step}: DeepSeek LLM's schedule: warmup, the peak, 31.6% of the peak from 80% of
 *       totalSteps and 10% from 90%.</li>
 * </ul>
 */
public final class LrSchedule {

    public enum Type {
        CONSTANT, LINEAR, COSINE, MULTI_STEP;

        /** The name used in configs ({@code lr_scheduler_type}). */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Type parse(String name) {
            for (Type t : values()) {
                if (t.configName().equals(name)) {
                    return t;
                }
            }
            throw new BadInputException("unknown lr_scheduler_type '" + name + "' (known: "
                    + String.join(", ", Arrays.stream(values()).map(Type::configName).toList()) + ")");
        }
    }

    private final Type type;
    private final double peakLr;
    private final long warmupSteps;
    private final long totalSteps;
    private final double minLrRatio;

    public LrSchedule(Type type, double peakLr, long warmupSteps, long totalSteps, double minLrRatio) {
        if (totalSteps <= 0) {
            throw new BadInputException("the learning rate schedule needs a positive number of steps, got " + totalSteps);
        }
        if (warmupSteps < 0) {
            throw new BadInputException("warmup_steps must not be negative, got " + warmupSteps);
        }
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) {
            throw new BadInputException("min_lr_ratio must be in [0, 1], got " + minLrRatio);
        }
        this.type = type;
        this.peakLr = peakLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        this.minLrRatio = minLrRatio;
    }

    /** A schedule from its config name (see {@link Type}); minLrRatio is used by cosine only. */
    public static LrSchedule of(String name, double peakLr, long warmupSteps, long totalSteps, double minLrRatio) {
        return new LrSchedule(Type.parse(name), peakLr, warmupSteps, totalSteps, minLrRatio);
    }

    public static LrSchedule of(String name, double peakLr, long warmupSteps, long totalSteps) {
        return of(name, peakLr, warmupSteps, totalSteps, 0.0);
    }

    /**
     * The warmup length as transformers resolves it: warmupSteps when positive, else
     * ceil(warmupRatio * totalSteps).
     */
    public static long warmupSteps(long warmupSteps, double warmupRatio, long totalSteps) {
        if (warmupSteps > 0) {
            return warmupSteps;
        }
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new BadInputException("warmup_ratio must be in [0, 1], got " + warmupRatio);
        }
        return (long) Math.ceil(warmupRatio * totalSteps);
    }

    public double lr(long step) {
        return peakLr * factor(step);
    }

    /** The fraction of the peak at step. */
    public double factor(long step) {
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        switch (type) {
            case CONSTANT:
                return 1.0;
            case LINEAR:
                return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE: {
                double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
                double cosine = 0.5 * (1.0 + Math.cos(Math.PI * progress));
                return minLrRatio + (1.0 - minLrRatio) * cosine;
            }
            case MULTI_STEP:
                // integer comparisons, so the boundaries fall exactly at 80% and 90% of the steps
                if (step * 10 >= totalSteps * 9) {
                    return 0.1;
                }
                if (step * 10 >= totalSteps * 8) {
                    return 0.316;
                }
                return 1.0;
            default:
                throw new AssertionError(type);
        }
    }

    public Type type() {
        return type;
    }

    public long warmupSteps() {
        return warmupSteps;
    }

    public long totalSteps() {
        return totalSteps;
    }

    @Override
    public String toString() {
        return type.configName() + "(peak " + peakLr + ", warmup " + warmupSteps + ", total " + totalSteps
                + (type == Type.COSINE ? ", min ratio " + minLrRatio : "") + ")";
    }
}
