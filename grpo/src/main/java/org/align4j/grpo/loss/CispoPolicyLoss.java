package org.align4j.grpo.loss;

/**
 * {@code cispo} (MiniMax-M1): instead of clipping the token's update, clip its importance weight and stop its
 * gradient: term = -sg(min(w, epsilon_high)) A logp, so every token keeps a gradient. As TRL, epsilon_high is the
 * cap itself (ScaleRL recommends 5.0), and tokens are averaged as {@code dapo}.
 */
public final class CispoPolicyLoss implements PolicyLoss {
    @Override
    public String name() {
        return "cispo";
    }

    @Override
    public String description() {
        return "clipped, stop-gradient importance weight x advantage x log-prob; token-level mean";
    }

    @Override
    public String paper() {
        return "MiniMax 2025, MiniMax-M1 (arXiv:2506.13585)";
    }

    @Override
    public void token(double logp, double logW, double advantage, ClipRange clip, TokenTerm out) {
        double w = Math.exp(logW);
        double weight = Math.min(w, clip.epsilonHigh());
        out.value = -weight * advantage * logp;
        out.dLogW = 0.0;
        out.dLogp = -weight * advantage;
        out.clippedLow = false;
        out.clippedHigh = w > clip.epsilonHigh() && advantage > 0;
    }

    @Override
    public double tokenWeight(double completionTokens, BatchShape batch) {
        return batch.tokens() == 0 ? 0 : 1.0 / batch.tokens();
    }
}
