package org.align4j.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.reward.math.ArithmeticStepReward;
import org.align4j.reward.math.MathAnswerReward;
import org.junit.jupiter.api.Test;

class RewardFactoryTest {

    /** A user reward configured through its Map constructor. */
    public static final class ConstantReward implements OutcomeReward {
        private final double value;

        public ConstantReward(Map<String, Object> params) {
            Object v = params.get("value");
            if (v == null) {
                throw new IllegalArgumentException("value is required");
            }
            this.value = ((Number) v).doubleValue();
        }

        @Override
        public String name() {
            return "constant";
        }

        @Override
        public List<Double> score(List<RewardInput> batch) {
            List<Double> out = new ArrayList<>();
            batch.forEach(b -> out.add(value));
            return out;
        }
    }

    /** A user reward with only a no-arg constructor. */
    public static final class LengthReward implements OutcomeReward {
        @Override
        public String name() {
            return "length";
        }

        @Override
        public List<Double> score(List<RewardInput> batch) {
            return batch.stream().map(b -> (double) b.completion().length()).toList();
        }
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void builtInsByType() {
        assertInstanceOf(MathAnswerReward.class, RewardFactory.outcome(Map.of("type", "math_answer")));
        assertInstanceOf(ArithmeticStepReward.class, RewardFactory.process(Map.of("type", "math_steps")));
    }

    @Test
    void userClassesWithWeightsAndParams() {
        WeightedRewards w = RewardFactory.weighted(List.of(
                Map.of("class", ConstantReward.class.getName(), "weight", 0.5, "value", 4),
                Map.of("class", LengthReward.class.getName()),
                Map.of("type", "math_answer", "weight", "2")));
        WeightedScores s = w.score(List.of(RewardInput.ofText("p", "#### 3", Map.of("answer", 3))));
        assertEquals(List.of("constant", "length", "math_answer"), s.names());
        assertEquals(0.5 * 4 + 6 + 2 * 1, s.total(0), 1e-12);
    }

    @Test
    void errorsNameTheEntryKeyOrClass() {
        String m = message(() -> RewardFactory.weighted(List.of(Map.of("type", "math_answer"), Map.of("type", "math_anwser"))));
        assertTrue(m.startsWith("rewards[1]: unknown reward type 'math_anwser'"), m);

        m = message(() -> RewardFactory.outcome(Map.of("class", "com.example.Missing")));
        assertTrue(m.contains("'com.example.Missing' not found"), m);

        m = message(() -> RewardFactory.outcome(Map.of("class", "java.lang.String")));
        assertTrue(m.contains("'java.lang.String' does not implement"), m);

        m = message(() -> RewardFactory.outcome(Map.of("class", ConstantReward.class.getName())));
        assertTrue(m.contains("constructor failed: value is required"), m);

        m = message(() -> RewardFactory.outcome(Map.of("class", LengthReward.class.getName(), "scale", 2)));
        assertTrue(m.contains("takes no parameters") && m.contains("scale"), m);

        m = message(() -> RewardFactory.outcome(Map.of("type", "math_steps")));
        assertTrue(m.contains("is not an OutcomeReward (it is a ProcessReward)"), m);

        m = message(() -> RewardFactory.outcome(Map.of("type", "math_answer", "class", "x")));
        assertTrue(m.contains("exactly one of 'type'"), m);

        m = message(() -> RewardFactory.weighted(List.of(Map.of("type", "math_answer", "weight", "heavy"))));
        assertTrue(m.contains("rewards[0]") && m.contains("'weight'"), m);

        m = message(() -> RewardFactory.outcome(Map.of("type", "python_tests", "mode", "most")));
        assertTrue(m.contains("python_tests: key 'mode' must be one of fraction|all"), m);
    }
}
