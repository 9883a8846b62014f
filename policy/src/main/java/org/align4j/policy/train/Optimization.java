package org.align4j.policy.train;

import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;

/**
 * One optimizer step as every trainer takes it: clip the accumulated gradients by their global norm,
 * refuse the step when the norm is not finite (the weights stay as they were, so the last good checkpoint
 * and the model agree), apply AdamW at the scheduled learning rate, and clear the gradients.
 */
public final class Optimization {
    private final List<Parameter> params;
    private final AdamW adamW;
    private final GradientClipper clipper;
    private final LrSchedule schedule;
    private final Ops ops;

    /** What one step did. */
    public record StepResult(double gradNorm, double learningRate, boolean skipped) {
    }

    public Optimization(List<Parameter> params, TrainingConfig config, long totalSteps, Ops ops) {
        this.params = params;
        this.ops = ops;
        this.adamW = new AdamW(params, config.adamWOptions(), ops);
        this.clipper = config.gradientClipper(ops);
        this.schedule = config.schedule(totalSteps);
    }

    /** Applies the gradients accumulated so far as optimizer step {@code step} (0-based), then zeroes them. */
    public StepResult step(long step) {
        double lr = schedule.lr(step);
        double norm = clipper.clip(params);
        boolean skipped = !Double.isFinite(norm);
        if (!skipped) {
            adamW.step(lr);
        }
        for (Parameter p : params) {
            ops.zero(p.grad());
        }
        return new StepResult(norm, lr, skipped);
    }

    public double learningRate(long step) {
        return schedule.lr(step);
    }

    public void save(Path dir) {
        adamW.save(dir);
    }

    public void load(Path dir) {
        adamW.load(dir);
    }
}
