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
 * <p>
 * Data parallel: the gradients are first summed over the ranks. With {@code zero_stage: 1} (ZeRO-1) each rank keeps
 * the AdamW state of its share of the parameters only (contiguous, split by size), updates those, and sends them to
 * the other ranks; a checkpoint holds one file per rank's share ({@link #saveShard}), which any number of ranks
 * resumes from ({@link AdamW#load}).
 */
public final class Optimization {
    private final List<Parameter> params;
    private final AdamW adamW;
    private final GradientClipper clipper;
    private final LrSchedule schedule;
    private final Ops ops;
    private final Collective ranks;
    /** ZeRO-1: the rank that updates each parameter; null when every rank updates all of them. */
    private final int[] owner;
    private AdamW.Snapshot keep;
    private boolean kept;
    private java.util.function.Consumer<StepResult> afterStep = r -> { };

    /**
     * What one step did: the gradient norm before clipping, the learning rate, whether the update was refused
     * (non-finite gradient), and whether every weight is finite after it.
     */
    public record StepResult(double gradNorm, double learningRate, boolean skipped, boolean weightsFinite) {
    }

    public Optimization(List<Parameter> params, TrainingConfig config, long totalSteps, Ops ops) {
        this.params = params;
        this.ops = ops;
        this.ranks = config.collective();
        this.owner = config.zeroStage == 1 && ranks.size() > 1 ? owners(params, ranks.size()) : null;
        boolean[] mine = null;
        if (owner != null) {
            mine = new boolean[params.size()];
            for (int i = 0; i < mine.length; i++) {
                mine[i] = owner[i] == ranks.rank();
            }
        }
        this.adamW = new AdamW(params, config.adamWOptions(), ops, mine);
        this.clipper = config.gradientClipper(ops);
        this.schedule = config.schedule(totalSteps);
    }

    /** ZeRO-1's split: parameter i goes to the rank whose 1/n of all elements its first element falls in. */
    static int[] owners(List<Parameter> params, int n) {
        long total = 0;
        for (Parameter p : params) {
            total += p.size();
        }
        int[] owner = new int[params.size()];
        long start = 0;
        for (int i = 0; i < owner.length; i++) {
            owner[i] = (int) Math.min(n - 1, start * n / Math.max(1, total));
            start += params.get(i).size();
        }
        return owner;
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
            if (owner != null) {
                shareUpdatedWeights();
            }
            finite = weightsFinite();
        }
        for (Parameter p : params) {
            ops.zero(p.grad());
        }
        StepResult result = new StepResult(norm, lr, skipped, finite);
        afterStep.accept(result);
        return result;
    }

    /**
     * Runs hook after every step, taken or refused (a model's work that follows its updates: DeepSeek-V3's
     * selection-bias update and the expert-load metrics, {@code CausalLM.afterOptimizerStep}).
     */
    public void afterEachStep(java.util.function.Consumer<StepResult> hook) {
        afterStep = hook;
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

    /** ZeRO-1: every rank's updated share of the weights to every rank (in owner order). */
    private void shareUpdatedWeights() {
        for (int r = 0; r < ranks.size(); r++) {
            List<INDArray> values = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                if (owner[i] == r) {
                    values.add(params.get(i).value());
                }
            }
            ranks.broadcast(values, r, ops);
        }
    }

    /** Whether the optimizer state is sharded over the ranks (ZeRO-1 on several ranks): each rank saves its share. */
    public boolean sharded() {
        return owner != null;
    }

    /**
     * ZeRO-1, on every rank: writes this rank's share of the optimizer state into the checkpoint folder dir
     * ({@link AdamW#saveShard}); nothing when the state is not sharded.
     */
    public void saveShard(Path dir) {
        if (owner != null) {
            adamW.saveShard(dir, ranks.rank(), ranks.size());
        }
    }

    /**
     * Writes the optimizer state into dir (rank 0): all of it, or with ZeRO-1 optimizer.json, which names the shards
     * every rank writes ({@link #saveShard}).
     */
    public void save(Path dir) {
        if (owner != null) {
            adamW.saveShardedMeta(dir, ranks.size());
        } else {
            adamW.save(dir);
        }
    }

    public void load(Path dir) {
        adamW.load(dir);
    }
}
