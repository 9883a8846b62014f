package org.align4j.dpo;

/**
 * One tokenized preference example: a prompt and two completions of it, the preferred (chosen, y_w) and the
 * dispreferred (rejected, y_l). The loss sees only completion tokens; the prompt is context. Reference
 * sequence log-probs are NaN until {@link ReferenceLogProbs#precompute} fills them (TRL's
 * {@code ref_chosen_logps} and {@code ref_rejected_logps} columns).
 *
 * @param source where the example came from ("train.jsonl:12"), for error messages
 */
public record PreferencePair(int[] prompt, int[] chosen, int[] rejected, String source,
                             double refChosen, double refRejected) {

    public PreferencePair {
        if (prompt.length == 0) {
            // the first token is never predicted, so a completion needs at least one token before it
            throw new IllegalArgumentException(source + ": empty prompt (it needs at least one token, e.g. BOS)");
        }
        if (chosen.length == 0 || rejected.length == 0) {
            throw new IllegalArgumentException(source + ": empty " + (chosen.length == 0 ? "chosen" : "rejected")
                    + " completion");
        }
    }

    public PreferencePair(int[] prompt, int[] chosen, int[] rejected, String source) {
        this(prompt, chosen, rejected, source, Double.NaN, Double.NaN);
    }

    public boolean hasReference() {
        return !Double.isNaN(refChosen) && !Double.isNaN(refRejected);
    }

    public PreferencePair withReference(double chosenLogp, double rejectedLogp) {
        return new PreferencePair(prompt, chosen, rejected, source, chosenLogp, rejectedLogp);
    }

    /** prompt followed by chosen. */
    public int[] chosenSequence() {
        return concat(prompt, chosen);
    }

    /** prompt followed by rejected. */
    public int[] rejectedSequence() {
        return concat(prompt, rejected);
    }

    /** Tokens of the longer of the two full sequences. */
    public int longestLength() {
        return prompt.length + Math.max(chosen.length, rejected.length);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
