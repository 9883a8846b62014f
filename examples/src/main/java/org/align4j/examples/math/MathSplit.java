package org.align4j.examples.math;

import java.util.List;
import org.align4j.policy.train.Rng;

/**
 * A fixed train/test split of the problem space. Whether a problem is a test problem depends only on the seed
 * and its prompt text (a keyed hash puts 1 in {@value #TEST_SHARE} texts on the test side), so no test prompt
 * can appear in any train set of the same seed, whatever the sizes or difficulties asked for, and a larger
 * test set contains the smaller one drawn with the same arguments.
 */
public final class MathSplit {

    /** One text in this many belongs to the test side. */
    public static final int TEST_SHARE = 8;

    private final long seed;

    MathSplit(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    public List<MathProblem> train(int n, Difficulty d) {
        return MathWordProblems.generate(n, d, stream(0), p -> !isTest(p), prefix(d, "train"));
    }

    public List<MathProblem> test(int n, Difficulty d) {
        return MathWordProblems.generate(n, d, stream(1), this::isTest, prefix(d, "test"));
    }

    /** Whether the problem text belongs to the test side. */
    public boolean isTest(String prompt) {
        // FNV-1a over the characters, keyed by the seed, then SplitMix64's finalizer to spread the bits.
        long h = 0xcbf29ce484222325L ^ seed;
        for (int i = 0; i < prompt.length(); i++) {
            h = (h ^ prompt.charAt(i)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return Long.remainderUnsigned(h, TEST_SHARE) == 0;
    }

    /** Separate random streams for the two sides, so asking for more train problems leaves the test ones as they were. */
    private Rng stream(int side) {
        Rng root = new Rng(seed);
        Rng train = root.split();
        Rng test = root.split();
        return side == 0 ? train : test;
    }

    private String prefix(Difficulty d, String side) {
        return "math-" + d.label() + "-s" + seed + "-" + side + "-";
    }
}
