package org.align4j.dpo;

import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.train.AdamW;
import org.align4j.policy.train.GradientClipper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DPO optimizer steps and evaluation on in-memory pairs (the run around it, with data, schedule, logging and
 * checkpoints, is {@link DpoRun}). A step splits its pairs into micro-batches of batch_size pairs; each
 * micro-batch is one forward and one backward of the policy over its 2 x batch_size sequences, and gradients
 * are summed so that the step minimizes the mean loss over all its pairs.
 */
public final class DpoTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DpoTrainer.class);

    private final CausalLM policy;
    private final ReferenceLogProbs reference;
    private final DpoLoss loss;
    private final int microBatchSize;
    private final AdamW optimizer;
    private final GradientClipper clipper;
    private long skippedSteps;

    public DpoTrainer(DpoConfig config, CausalLM policy, ReferenceLogProbs reference) {
        this.policy = policy;
        this.reference = reference;
        this.loss = config.loss();
        this.microBatchSize = config.batchSize;
        this.optimizer = new AdamW(policy.parameters(), config.adamWOptions(), policy.ops());
        this.clipper = config.gradientClipper(policy.ops());
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public DpoLoss loss() {
        return loss;
    }

    /** Steps whose gradient norm was not finite, so no update was made. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * One optimizer step at learning rate lr on pairs; their statistics are added to metrics. Returns the
     * gradient norm before clipping (NaN or infinite when the step was skipped).
     */
    public double step(List<PreferencePair> pairs, double lr, DpoMetrics metrics) {
        policy.zeroGrad();
        boolean mean = loss.type().averagesTokens();
        for (int from = 0; from < pairs.size(); from += microBatchSize) {
            PairBatch batch = new PairBatch(pairs.subList(from, Math.min(pairs.size(), from + microBatchSize)), mean);
            Forward f = policy.forward(batch.tokens());
            double[][] lp = f.tokenLogProbs();
            double[] chosen = batch.chosen(lp);
            double[] rejected = batch.rejected(lp);
            // the reference runs on its own model's buffers, so f stays valid for the backward below
            double[][] ref = reference.of(batch);
            DpoLoss.Result r = loss.compute(chosen, rejected, ref[0], ref[1], pairs.size());
            f.backward(batch.spread(r.dChosen, r.dRejected));
            metrics.add(r, chosen, rejected);
        }
        double norm = clipper.clip(policy.parameters());
        if (!Double.isFinite(norm)) {
            skippedSteps++;
            LOG.warn("gradient norm is {}: optimizer step skipped ({} so far)", norm, skippedSteps);
            return norm;
        }
        optimizer.step(lr);
        return norm;
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
