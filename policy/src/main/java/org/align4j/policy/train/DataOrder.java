package org.align4j.policy.train;

/**
 * The order in which a trainer visits n examples: a fresh seeded shuffle each epoch. Position p (counted
 * across epochs) always maps to the same example, so a run resumes exactly from a saved position.
 */
public final class DataOrder {
    private final int n;
    private final long seed;
    private int epoch = -1;
    private int[] perm;

    public DataOrder(int n, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("no examples");
        }
        this.n = n;
        this.seed = seed;
    }

    /** The example index at global position p. */
    public int at(long p) {
        int e = Math.toIntExact(p / n);
        if (e != epoch) {
            perm = new Rng(seed * 1_000_003L + e).permutation(n);
            epoch = e;
        }
        return perm[(int) (p % n)];
    }

    public double epochOf(long p) {
        return (double) p / n;
    }
}
