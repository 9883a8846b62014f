package org.align4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class WeightedRewardsTest {

    /** A reward computed by a function of the completion; null means abstain. */
    private record Fixed(String name, Function<String, Double> f) implements OutcomeReward {
        @Override
        public List<Double> score(List<RewardInput> batch) {
            List<Double> out = new ArrayList<>();
            batch.forEach(in -> out.add(f.apply(in.completion())));
            return out;
        }
    }

    private static List<RewardInput> batch(String... completions) {
        List<RewardInput> out = new ArrayList<>();
        for (String c : completions) {
            out.add(RewardInput.ofText("p", c, Map.of()));
        }
        return out;
    }

    @Test
    void weightedSumSkipsAbstentionsLikeNansum() {
        OutcomeReward length = new Fixed("length", c -> (double) c.length());
        OutcomeReward mathOnly = new Fixed("math", c -> c.startsWith("m") ? 1.0 : null);
        WeightedRewards w = new WeightedRewards(List.of(length, mathOnly), List.of(0.5, 2.0));
        WeightedScores s = w.score(batch("m1", "code"));
        assertEquals(0.5 * 2 + 2.0 * 1, s.total(0), 1e-12);
        assertEquals(0.5 * 4, s.total(1), 1e-12);
        assertEquals(List.of("length", "math"), s.names());
        assertNull(s.value(1, 1));
        assertEquals(1.0, s.value(1, 0));
        assertEquals(1.0, s.mean(1), 1e-12, "the mean skips abstentions");
        assertEquals(3.0, s.mean(0), 1e-12);
    }

    @Test
    void rowWhereAllAbstainGetsZero() {
        WeightedRewards w = WeightedRewards.unweighted(List.of(new Fixed("none", c -> null)));
        WeightedScores s = w.score(batch("x"));
        assertEquals(0.0, s.total(0));
        assertTrue(Double.isNaN(s.mean(0)));
    }

    @Test
    void wrongNumberOfValuesNamesTheReward() {
        OutcomeReward broken = new OutcomeReward() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public List<Double> score(List<RewardInput> batch) {
                return List.of();
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> WeightedRewards.unweighted(List.of(broken)).score(batch("a")));
        assertTrue(e.getMessage().contains("'broken'"), e.getMessage());
    }
}
