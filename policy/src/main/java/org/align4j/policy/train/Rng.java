package org.align4j.policy.train;

/**
 * A seedable, splittable random number generator whose whole state is two longs, so a checkpoint can store
 * it and a resumed run continues the exact same stream. The algorithm is SplitMix64 (Steele, Lea and Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014), the one behind
 * {@link java.util.SplittableRandom}, which hides its state; for the same seed both produce the same longs.
 * Not thread-safe: give each thread its own {@link #split()}.
 */
public final class Rng {

    /** The full state: the current seed and the odd increment (gamma) of this stream. */
    public record State(long seed, long gamma) {
    }

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long seed;
    private final long gamma;

    public Rng(long seed) {
        this(seed, GOLDEN_GAMMA);
    }

    private Rng(long seed, long gamma) {
        this.seed = seed;
        this.gamma = gamma;
    }

    /** A generator that continues exactly where the one that produced state stopped. */
    public static Rng restore(State state) {
        if ((state.gamma() & 1) == 0) {
            throw new IllegalArgumentException("RNG gamma must be odd: " + state.gamma());
        }
        return new Rng(state.seed(), state.gamma());
    }

    public State state() {
        return new State(seed, gamma);
    }

    /** A new generator with its own stream, statistically independent of this one; advances this one. */
    public Rng split() {
        return new Rng(nextLong(), mixGamma(nextSeed()));
    }

    public long nextLong() {
        return mix64(nextSeed());
    }

    public int nextInt() {
        return (int) (nextLong() >>> 32);
    }

    /** Uniform in [0, bound), without modulo bias (rejection of the incomplete last interval). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        while (true) {
            long r = nextLong() >>> 33; // 31 random bits
            long v = r % bound;
            if (r - v + (bound - 1) < (1L << 31)) {
                return (int) v;
            }
        }
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Standard normal by Box-Muller. The second value of each pair is dropped rather than cached, so that the
     * state stays two longs and a restore never loses a pending value.
     */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fisher-Yates shuffle in place. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** A random permutation of 0..n-1. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p);
        return p;
    }

    private long nextSeed() {
        return seed += gamma;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    // Gammas with too few bit transitions give poorly mixed streams; the paper flips those.
    private static long mixGamma(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        z = (z ^ (z >>> 33)) | 1L;
        int n = Long.bitCount(z ^ (z >>> 1));
        return (n < 24) ? z ^ 0xaaaaaaaaaaaaaaaaL : z;
    }
}
