package org.align4j.grpo.loss;

/**
 * {@code bnpo}: the clipped surrogate averaged over the tokens of each micro-batch, then over micro-batches (as
 * TRL: the local batch's token mean divided by the gradient accumulation steps). With one micro-batch it is
 * {@code dapo}; with one completion per micro-batch it is {@code grpo}.
 */
public final class BnpoPolicyLoss extends ClippedSurrogateLoss {
    @Override
    public String name() {
        return "bnpo";
    }

    @Override
    public String description() {
        return "clipped surrogate, mean over each micro-batch's tokens, then over micro-batches";
    }

    @Override
    public String paper() {
        return "TRL's batch-normalised variant of the DAPO aggregation (TRL GRPOConfig.loss_type)";
    }

    @Override
    public double tokenWeight(double completionTokens, BatchShape batch) {
        return batch.microBatchTokens() == 0 ? 0 : 1.0 / ((double) batch.microBatchTokens() * batch.microBatches());
    }
}
