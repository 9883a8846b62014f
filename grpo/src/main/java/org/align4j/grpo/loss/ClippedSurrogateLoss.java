package org.align4j.grpo.loss;

/**
 * The PPO clipped surrogate of GRPO (DeepSeekMath eq. 3) per token, -min(w A, clip(w, 1 - eps, 1 + eps_high) A),
 * with two-sided clipping (w capped at delta in the unclipped branch, INTELLECT-2). The subclasses differ only in
 * how token terms are averaged ({@link #tokenWeight}).
 */
public abstract class ClippedSurrogateLoss implements PolicyLoss {

    @Override
    public final void token(double logp, double logW, double advantage, ClipRange clip, TokenTerm out) {
        double w = Math.exp(logW);
        double capped = Math.min(w, clip.delta());
        double clipped = Math.max(1 - clip.epsilon(), Math.min(1 + clip.epsilonHigh(), w));
        double unclippedTerm = capped * advantage;
        double clippedTerm = clipped * advantage;
        if (unclippedTerm <= clippedTerm) {
            out.value = -unclippedTerm;
            // d(capped)/d(log w) = w below the cap, 0 on it
            out.dLogW = w < clip.delta() ? -w * advantage : 0.0;
        } else {
            out.value = -clippedTerm;
            out.dLogW = 0.0;
        }
        out.dLogp = 0.0;
        out.clippedLow = capped < 1 - clip.epsilon() && advantage < 0;
        out.clippedHigh = capped > 1 + clip.epsilonHigh() && advantage > 0;
    }
}
