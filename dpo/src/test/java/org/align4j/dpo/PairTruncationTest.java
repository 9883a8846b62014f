package org.align4j.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PairTruncationTest {

    private static int[] range(int from, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = from + i;
        }
        return a;
    }

    @Test
    void aPairThatFitsIsReturnedAsIs() {
        PreferencePair p = new PreferencePair(range(0, 4), range(10, 6), range(20, 3), "x:1", -1, -2);
        assertSame(p, new PairTruncation(10, 5, PairTruncation.Mode.KEEP_END).apply(p));
    }

    @Test
    void thePromptIsCutFirstKeepingItsEndOrStart() {
        PreferencePair p = new PreferencePair(range(0, 8), range(10, 4), range(20, 2), "x:1");
        PreferencePair end = new PairTruncation(10, 5, PairTruncation.Mode.KEEP_END).apply(p);
        assertArrayEquals(range(3, 5), end.prompt());
        assertArrayEquals(range(10, 4), end.chosen());
        assertArrayEquals(range(20, 2), end.rejected());
        PreferencePair start = new PairTruncation(10, 5, PairTruncation.Mode.KEEP_START).apply(p);
        assertArrayEquals(range(0, 5), start.prompt());
    }

    @Test
    void completionsAreCutWhenThePromptAloneDoesNotMakeRoom() {
        PreferencePair p = new PreferencePair(range(0, 8), range(10, 9), range(20, 3), "x:1", -1, -2);
        PreferencePair t = new PairTruncation(10, 4, PairTruncation.Mode.KEEP_END).apply(p);
        assertArrayEquals(range(4, 4), t.prompt());
        assertArrayEquals(range(10, 6), t.chosen());
        assertArrayEquals(range(20, 3), t.rejected());
        assertTrue(t.longestLength() <= 10);
        assertTrue(!t.hasReference(), "reference log-probs of the untruncated pair are dropped");
    }

    @Test
    void limitsMustLeaveRoomForACompletion() {
        assertThrows(IllegalArgumentException.class, () -> new PairTruncation(8, 8, PairTruncation.Mode.KEEP_END));
        assertThrows(IllegalArgumentException.class, () -> new PairTruncation(8, 0, PairTruncation.Mode.KEEP_END));
    }
}
