package org.align4j.grpo.loss;

/** {@code dapo}: the clipped surrogate averaged over all trained tokens of the optimizer batch. */
public final class DapoPolicyLoss extends ClippedSurrogateLoss {
    @Override
    public String name() {
        return "dapo";
    }

    @Override
    public String description() {
        return "clipped surrogate, mean over all tokens of the optimizer batch (token-level mean)";
    }

    @Override
    public String paper() {
        return "Yu et al. 2025, DAPO (arXiv:2503.14476)";
    }

    @Override
    public double tokenWeight(double completionTokens, BatchShape batch) {
        return batch.tokens() == 0 ? 0 : 1.0 / batch.tokens();
    }
}
