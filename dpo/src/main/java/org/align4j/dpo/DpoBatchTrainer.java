package org.align4j.dpo;

import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.train.Collective;
import org.align4j.policy.train.Optimization;

/**
 * DPO optimizer steps and evaluation on in-memory pairs (the run around them, with files, logging and
 * checkpoints, is {@link DpoTrainer}). A step splits its pairs into micro-batches of batch_size pairs; each
 * micro-batch is one forward and one backward of the policy over its 2 x batch_size sequences, and the
 * gradients add up so that the step minimizes the mean loss over all its pairs.
 */
public final class DpoBatchTrainer {
    private final CausalLM policy;
    private final ReferenceLogProbs reference;
    private final DpoLoss loss;
    private final int microBatchSize;
    private final Optimization optimization;
    private final Collective ranks;

    /** totalSteps sets the learning-rate schedule's length. */
    public DpoBatchTrainer(DpoConfig config, CausalLM policy, ReferenceLogProbs reference, long totalSteps) {
        this.policy = policy;
        this.reference = reference;
        this.loss = config.loss();
        this.microBatchSize = config.batchSize;
        this.optimization = new Optimization(policy.parameters(), config, totalSteps, policy.ops());
        optimization.afterEachStep(r -> policy.afterOptimizerStep(!r.skipped()));
        this.ranks = config.collective();
    }

    /** The optimizer (its state is saved with checkpoints). */
    public Optimization optimization() {
        return optimization;
    }

    /**
     * Optimizer step number {@code step} (0-based, for the schedule) on pairs, whose statistics are added to
     * metrics. A step with a non-finite gradient norm changes no weight (see {@link Optimization}). With several
     * ranks, pairs is this rank's share (every rank's the same size) and the loss is the mean over every rank's
     * pairs; metrics then hold the whole step's statistics.
     */
    public Optimization.StepResult step(List<PreferencePair> pairs, long step, DpoMetrics metrics) {
        boolean mean = loss.type().averagesTokens();
        for (int from = 0; from < pairs.size(); from += microBatchSize) {
            PairBatch batch = new PairBatch(pairs.subList(from, Math.min(pairs.size(), from + microBatchSize)), mean);
            // before the policy's pass: a LoRA policy is its own reference (adapters off), whose forward pass
            // would overwrite the policy's buffers
            double[][] ref = reference.of(batch);
            policy.setTraining(true);
            Forward f = policy.forward(batch.tokens());
            policy.setTraining(false);
            double[][] lp = f.tokenLogProbs();
            double[] chosen = batch.chosen(lp);
            double[] rejected = batch.rejected(lp);
            DpoLoss.Result r = loss.compute(chosen, rejected, ref[0], ref[1], pairs.size() * ranks.size());
            f.backward(batch.spread(r.dChosen, r.dRejected));
            metrics.add(r, chosen, rejected);
        }
        metrics.sumOver(ranks);
        return optimization.step(step);
    }

    /** Adds the statistics of pairs under the current policy to metrics (forward passes only). */
    public void evaluate(List<PreferencePair> pairs, DpoMetrics metrics) {
        boolean mean = loss.type().averagesTokens();
        for (int from = 0; from < pairs.size(); from += microBatchSize) {
            PairBatch batch = new PairBatch(pairs.subList(from, Math.min(pairs.size(), from + microBatchSize)), mean);
            double[][] lp = policy.forward(batch.tokens()).tokenLogProbs();
            double[] chosen = batch.chosen(lp);
            double[] rejected = batch.rejected(lp);
            double[][] ref = reference.of(batch);
            metrics.add(loss.compute(chosen, rejected, ref[0], ref[1], batch.size()), chosen, rejected);
        }
    }
}
