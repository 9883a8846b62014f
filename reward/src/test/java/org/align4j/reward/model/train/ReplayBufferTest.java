package org.align4j.reward.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayBufferTest {

    private static List<Map<String, Object>> rows(int from, int to) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(Map.of("prompt", "p" + i, "completion", "c", "label", i % 2));
        }
        return out;
    }

    @Test
    void persistsAndStaysBoundedAsAUniformReservoir(@TempDir Path dir) throws Exception {
        Path d = dir.resolve("replay");
        ReplayBuffer b = ReplayBuffer.open(d, 100, 7);
        assertEquals(0, b.size());
        assertTrue(!Files.exists(d), "nothing is written before the first add");
        for (int k = 0; k < 10; k++) {
            ReplayBuffer.open(d, 100, 7).add(rows(k * 100, (k + 1) * 100), "run-" + k);
        }
        ReplayBuffer back = ReplayBuffer.open(d, 5, 0); // an existing buffer keeps its capacity and seed
        assertEquals(100, back.size());
        assertEquals(100, back.capacity());
        assertEquals(1000, back.seen());
        assertEquals(100, Files.readAllLines(d.resolve(ReplayBuffer.ROWS)).size());
        long early = back.rows().stream()
                .filter(r -> Integer.parseInt(((String) r.get("prompt")).substring(1)) < 500).count();
        // each of the 1000 rows is kept with probability 0.1: about half of the kept rows are from the first half
        assertTrue(early > 30 && early < 70, "rows from the first 500: " + early);
        assertTrue(back.hasSource("run-3"));
    }

    @Test
    void addingTheSameSourceTwiceChangesNothing(@TempDir Path dir) {
        ReplayBuffer b = ReplayBuffer.open(dir.resolve("r"), 10, 1);
        b.add(rows(0, 4), "a");
        b.add(rows(4, 8), "a");
        ReplayBuffer back = ReplayBuffer.open(dir.resolve("r"), 10, 1);
        assertEquals(4, back.size());
        assertEquals(4, back.seen());
    }
}
