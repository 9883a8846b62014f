package org.align4j.grpo.loss;

/** {@code dr_grpo}: the clipped surrogate summed over tokens and divided by completions x max_completion_length. */
public final class DrGrpoPolicyLoss extends ClippedSurrogateLoss {
    @Override
    public String name() {
        return "dr_grpo";
    }

    @Override
    public String description() {
        return "clipped surrogate, token sum / (completions x max_completion_length): no length bias";
    }

    @Override
    public String paper() {
        return "Liu et al. 2025, Understanding R1-Zero-Like Training (Dr. GRPO, arXiv:2503.20783)";
    }

    @Override
    public double tokenWeight(double completionTokens, BatchShape batch) {
        return 1.0 / ((double) batch.completions() * batch.maxCompletionLength());
    }
}
