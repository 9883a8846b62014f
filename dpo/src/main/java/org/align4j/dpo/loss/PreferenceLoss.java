package org.align4j.dpo.loss;

/**
 * One preference loss ({@code loss_type}, TRL's names and definitions): the loss of a pair from the log-ratios of
 * policy over reference of its chosen and rejected completions, and the loss's derivatives with respect to them.
 * {@link PreferenceLosses} lists the known ones; a new loss is one class implementing this, registered there, with
 * its test.
 */
public interface PreferenceLoss {

    /** The {@code loss_type} value that selects it. */
    String name();

    /** One line: the formula. */
    String description();

    /** The paper it comes from. */
    String paper();

    /** Whether sequence log-probs are token means (length-normalised) rather than sums. */
    default boolean averagesTokens() {
        return false;
    }

    /** Whether label_smoothing means something to it (others refuse a non-zero value). */
    default boolean usesLabelSmoothing() {
        return false;
    }

    /** Refuses settings it cannot use, with a message naming the key. */
    default void check(PreferenceParams p) {
        if (p.labelSmoothing() != 0 && !usesLabelSmoothing()) {
            throw new IllegalArgumentException("label_smoothing does not apply to loss_type " + name());
        }
    }

    /**
     * The pair's loss and its derivatives.
     *
     * @param chosen   log pi(y_w|x) - log pi_ref(y_w|x) (sums or token means, see {@link #averagesTokens()})
     * @param rejected the same for y_l
     */
    void pair(double chosen, double rejected, PreferenceParams p, PairTerm out);
}
