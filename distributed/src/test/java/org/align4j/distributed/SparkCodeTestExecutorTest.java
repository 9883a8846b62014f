package org.align4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.align4j.reward.RewardInput;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.UnitTestReward;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * reward_executor: spark scores a batch of Python completions (passing, half passing, not parsing, looping forever,
 * printing without end, and a row without tests) as Spark tasks in local mode, and gets exactly the rewards of the
 * local pool, in the batch's order.
 */
class SparkCodeTestExecutorTest {
    private static final List<String> TESTS = List.of("assert add(1, 2) == 3", "assert add(-1, 1) == 0");
    private static SparkContext sc;

    @BeforeAll
    static void start() {
        sc = new SparkContext(new SparkConf().setMaster("local[3]").setAppName("SparkCodeTestExecutorTest")
                .set("spark.ui.enabled", "false"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void sparkTasksGiveTheRewardsOfTheLocalPool() {
        List<RewardInput> batch = new ArrayList<>();
        batch.add(input("```python\ndef add(a, b):\n    return a + b\n```", TESTS));
        batch.add(input("def add(a, b):\n    return a + b if a >= 0 else 99\n", TESTS));
        batch.add(input("def add(a, b) return a + b\n", TESTS));
        batch.add(input("def add(a, b):\n    while True:\n        pass\n", TESTS));
        batch.add(input("def add(a, b):\n    return a + b\n", null));
        batch.add(input("def add(a, b):\n    return a + b\nwhile True:\n    print('x' * 1000)\n", TESTS));
        batch.add(input("def add(a, b):\n    return a - b\n", List.of("assert add(1, 1) == 0")));
        List<Double> local;
        List<Double> spark;
        try (UnitTestReward reward = reward("local")) {
            local = reward.score(batch);
        }
        try (UnitTestReward reward = reward("spark")) {
            assertEquals("spark", reward.executor());
            spark = reward.score(batch);
        }
        assertEquals(Arrays.asList(1.0, 0.5, 0.0, 0.0, null, 0.0, 1.0), local);
        assertEquals(local, spark);
        assertNull(spark.get(4));
    }

    private static UnitTestReward reward(String executor) {
        return new UnitTestReward(Language.PYTHON, Map.of("timeout_seconds", 2, "reward_workers", 3,
                "max_output_kb", 64, "reward_executor", executor));
    }

    private static RewardInput input(String completion, List<String> tests) {
        Map<String, Object> row = new HashMap<>();
        if (tests != null) {
            row.put("tests", tests);
        }
        return RewardInput.ofText("Write add.", completion, row);
    }
}
