package org.align4j.policy.sft;

/**
 * One tokenized training sequence: the ids, and for each next-token target (position t predicts ids[t + 1])
 * whether it counts in the loss (completion tokens only, for prompt/completion rows).
 */
public record SftExample(int[] ids, boolean[] lossOnTarget) {
    public SftExample {
        if (ids.length < 2) {
            throw new IllegalArgumentException("a training sequence needs at least 2 tokens");
        }
        if (lossOnTarget.length != ids.length - 1) {
            throw new IllegalArgumentException("loss mask must have one entry per target (ids.length - 1)");
        }
    }

    public int lossTokens() {
        int n = 0;
        for (boolean b : lossOnTarget) {
            if (b) {
                n++;
            }
        }
        return n;
    }

    /** Loss on every target. */
    public static SftExample allTokens(int[] ids) {
        boolean[] m = new boolean[ids.length - 1];
        java.util.Arrays.fill(m, true);
        return new SftExample(ids, m);
    }

    /** Loss on the targets inside the completion, which follows {@code promptLength} prompt tokens. */
    public static SftExample completionOnly(int[] ids, int promptLength) {
        boolean[] m = new boolean[ids.length - 1];
        for (int t = Math.max(0, promptLength - 1); t < m.length; t++) {
            m[t] = true;
        }
        return new SftExample(ids, m);
    }
}
