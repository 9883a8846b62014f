package org.align4j.reward.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplayMixerTest {

    @Test
    void batchesHoldTheConfiguredFractionOfHistoricalData() {
        ReplayMixer mix = new ReplayMixer(50, 30, 16, 0.1, 3);
        int replayed = 0;
        for (int t = 0; t < 100; t++) {
            List<ReplayMixer.Pick> b = mix.batch(t);
            assertEquals(16, b.size());
            long r = b.stream().filter(ReplayMixer.Pick::replay).count();
            assertTrue(r == 1 || r == 2, "batch " + t + " replays " + r);
            for (ReplayMixer.Pick p : b) {
                assertTrue(p.index() >= 0 && p.index() < (p.replay() ? 30 : 50));
            }
            replayed += r;
        }
        assertEquals(0.1, replayed / 1600.0, 1e-12);
        assertEquals(mix.batch(17), new ReplayMixer(50, 30, 16, 0.1, 3).batch(17), "a batch depends only on its index");
    }

    @Test
    void newDataIsVisitedOncePerEpochAndAnEmptyReplayTurnsReplayOff() {
        ReplayMixer mix = new ReplayMixer(40, 0, 8, 0.25, 1);
        Set<Integer> seen = new HashSet<>();
        for (int t = 0; t < 5; t++) {
            for (ReplayMixer.Pick p : mix.batch(t)) {
                assertTrue(!p.replay());
                assertTrue(seen.add(p.index()), "example " + p.index() + " twice in one epoch");
            }
        }
        assertEquals(40, seen.size());
        assertEquals(5, mix.batchesPerEpoch());
        ReplayMixer withReplay = new ReplayMixer(40, 10, 8, 0.25, 1);
        assertEquals(60, withReplay.freshBefore(10), "6 new examples per batch");
        assertEquals(7, withReplay.batchesPerEpoch());
    }
}
