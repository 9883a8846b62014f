package org.align4j.grpo.loss;

/**
 * One GRPO policy loss ({@code loss_type}, as TRL names them): the per-token objective at an importance weight
 * and advantage, and how token terms are averaged over the optimizer batch. {@link GrpoLoss} applies it to every
 * trained token and adds the KL term; {@link PolicyLosses} lists the known ones. A new loss is one class
 * implementing this, registered in {@link PolicyLosses}, with its test.
 */
public interface PolicyLoss {

    /** The {@code loss_type} value that selects it. */
    String name();

    /** One line: what it does. */
    String description();

    /** The paper it comes from. */
    String paper();

    /**
     * The token's loss term and its derivatives.
     *
     * @param logp      the token's log-prob under the policy being trained
     * @param logW      log of the importance weight pi / pi_old (the token's, or its sequence's for GSPO)
     * @param advantage the token's advantage
     */
    void token(double logp, double logW, double advantage, ClipRange clip, TokenTerm out);

    /**
     * Weight of one trained token in the batch loss (the aggregation): the batch loss is the sum over trained
     * tokens of weight x term.
     *
     * @param completionTokens trained tokens of the token's completion
     */
    double tokenWeight(double completionTokens, BatchShape batch);
}
