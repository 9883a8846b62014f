package org.align4j.grpo.loss;

/** {@code grpo}: the clipped surrogate averaged over each completion's tokens, then over completions. */
public final class GrpoPolicyLoss extends ClippedSurrogateLoss {
    @Override
    public String name() {
        return "grpo";
    }

    @Override
    public String description() {
        return "clipped surrogate, mean over each completion's tokens, then over completions (length-biased)";
    }

    @Override
    public String paper() {
        return "Shao et al. 2024, DeepSeekMath (arXiv:2402.03300)";
    }

    @Override
    public double tokenWeight(double completionTokens, BatchShape batch) {
        return completionTokens == 0 ? 0 : 1.0 / (completionTokens * batch.completions());
    }
}
