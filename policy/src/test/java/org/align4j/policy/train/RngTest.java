package org.align4j.policy.train;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class RngTest {

    @Test
    void producesTheSameLongsAsSplittableRandom() {
        // SplittableRandom implements the same published algorithm: an independent check of the mixing.
        Rng rng = new Rng(42);
        SplittableRandom ref = new SplittableRandom(42);
        for (int i = 0; i < 100; i++) {
            assertEquals(ref.nextLong(), rng.nextLong());
        }
        assertEquals(ref.nextDouble(), rng.nextDouble());
        Rng child = rng.split();
        SplittableRandom refChild = ref.split();
        for (int i = 0; i < 100; i++) {
            assertEquals(refChild.nextLong(), child.nextLong());
        }
        assertEquals(ref.nextLong(), rng.nextLong(), "the parent continues after split as well");
    }

    @Test
    void restoredStateContinuesExactly() {
        Rng rng = new Rng(7);
        for (int i = 0; i < 13; i++) {
            rng.nextGaussian();
        }
        Rng.State saved = rng.state();
        double[] expected = new double[50];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = i % 3 == 0 ? rng.nextGaussian() : i % 3 == 1 ? rng.nextDouble() : rng.nextInt(1000);
        }
        Rng resumed = Rng.restore(saved);
        for (int i = 0; i < expected.length; i++) {
            double v = i % 3 == 0 ? resumed.nextGaussian() : i % 3 == 1 ? resumed.nextDouble() : resumed.nextInt(1000);
            assertEquals(expected[i], v, "draw " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> Rng.restore(new Rng.State(1, 2)));
    }

    @Test
    void splitStreamsDiffer() {
        Rng a = new Rng(1);
        Rng b = a.split();
        Rng c = a.split();
        int same = 0;
        for (int i = 0; i < 1000; i++) {
            long x = a.nextLong(), y = b.nextLong(), z = c.nextLong();
            if (x == y || y == z || x == z) {
                same++;
            }
        }
        assertEquals(0, same);
    }

    @Test
    void distributionsHaveTheRightMoments() {
        Rng rng = new Rng(123);
        int n = 200_000;
        double sum = 0, sumSq = 0;
        int[] counts = new int[7];
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            sumSq += g * g;
            int k = rng.nextInt(7);
            counts[k]++;
            double d = rng.nextDouble();
            assertTrue(d >= 0 && d < 1);
        }
        assertEquals(0.0, sum / n, 0.01);
        assertEquals(1.0, sumSq / n, 0.02);
        for (int c : counts) {
            assertEquals(n / 7.0, c, n / 7.0 * 0.03);
        }
        int[] p = rng.permutation(50);
        assertArrayEquals(java.util.stream.IntStream.range(0, 50).toArray(), java.util.Arrays.stream(p).sorted().toArray());
    }
}
