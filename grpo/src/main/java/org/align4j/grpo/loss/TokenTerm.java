package org.align4j.grpo.loss;

/**
 * What a {@link PolicyLoss} says about one token: its loss term, the term's derivative through the importance
 * weight (d term / d log w, which the caller spreads over the tokens the weight depends on) and its direct
 * derivative with respect to the token's log-prob (CISPO's stop-gradient form), and whether it was clipped.
 * Reused across tokens: {@link #reset()} clears it.
 */
public final class TokenTerm {
    public double value;
    public double dLogW;
    public double dLogp;
    /** The ratio was clipped from below with a negative advantage (TRL's clip_ratio/low). */
    public boolean clippedLow;
    /** The ratio was clipped from above with a positive advantage (clip_ratio/high, or CISPO's cap). */
    public boolean clippedHigh;

    public void reset() {
        value = 0;
        dLogW = 0;
        dLogp = 0;
        clippedLow = false;
        clippedHigh = false;
    }
}
