package org.align4j.dpo.loss;

/** A pair's loss and its derivatives with respect to the chosen and rejected log-ratios. Reused across pairs. */
public final class PairTerm {
    public double loss;
    public double dChosen;
    public double dRejected;

    /** Sets a loss l(z) of z = chosen - rejected, with slope dl/dz. */
    void ofMargin(double loss, double slope) {
        this.loss = loss;
        this.dChosen = slope;
        this.dRejected = -slope;
    }
}
