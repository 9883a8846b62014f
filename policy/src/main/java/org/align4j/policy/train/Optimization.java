package org.align4j.policy.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

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
    private final Collective ranks;
    private AdamW.Snapshot keep;
    private boolean kept;

    /**
     * What one step did: the gradient norm before clipping, the learning rate, whether the update was refused
     * (non-finite gradient), and whether every weight is finite after it.
     */
    public record StepResult(double gradNorm, double learningRate, boolean skipped, boolean weightsFinite) {
    }

    public Optimization(List<Parameter> params, TrainingConfig config, long totalSteps, Ops ops) {
        this.params = params;
        this.ops = ops;
        this.adamW = new AdamW(params, config.adamWOptions(), ops);
        this.clipper = config.gradientClipper(ops);
        this.schedule = config.schedule(totalSteps);
        this.ranks = config.collective();
    }

    /**
     * Applies the gradients accumulated so far as optimizer step {@code step} (0-based), then zeroes them. With
     * several ranks the gradients are first summed over them: each rank's loss is its share of the whole batch's
     * (normalised by the whole batch's counts), so the sum is the gradient one rank would have computed on it.
     */
    public StepResult step(long step) {
        double lr = schedule.lr(step);
        if (ranks.size() > 1) {
            List<INDArray> grads = new ArrayList<>(params.size());
            for (Parameter p : params) {
                grads.add(p.grad());
            }
            ranks.allReduceSum(grads, ops);
        }
        double norm = clipper.clip(params);
        boolean skipped = !Double.isFinite(norm);
        boolean finite = true;
        if (!skipped) {
            if (keep != null && !kept) {
                keep.take(); // the weights whose loss and gradient just proved finite
                kept = true;
            }
            adamW.step(lr);
            finite = weightsFinite();
        }
        for (Parameter p : params) {
            ops.zero(p.grad());
        }
        return new StepResult(norm, lr, skipped, finite);
    }

    /** Whether every weight is finite (a sum of squares that overflows counts as diverged too). */
    public boolean weightsFinite() {
        for (Parameter p : params) {
            if (!Double.isFinite(ops.sumSquares(p.value()))) {
                return false;
            }
        }
        return true;
    }

    public double learningRate(long step) {
        return schedule.lr(step);
    }

    /**
     * Copies the weights and optimizer state into {@code snapshot} right before the next update whose gradient is
     * finite (once; null cancels): the state a diverging run returns to is then one whose loss and gradients were
     * computed and found finite, not one that has yet to be tried.
     */
    public void keepBeforeNextUpdate(AdamW.Snapshot snapshot) {
        keep = snapshot;
        kept = false;
    }

    /** Whether the snapshot asked for by {@link #keepBeforeNextUpdate} has been taken since. */
    public boolean keptSnapshot() {
        return keep != null && kept;
    }

    /** A place to keep the weights and optimizer state of a good step (see {@link AdamW.Snapshot}). */
    public AdamW.Snapshot newSnapshot() {
        return adamW.newSnapshot();
    }

    public void save(Path dir) {
        adamW.save(dir);
    }

    public void load(Path dir) {
        adamW.load(dir);
    }
}
