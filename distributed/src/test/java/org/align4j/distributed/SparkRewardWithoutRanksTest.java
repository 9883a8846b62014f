package org.align4j.distributed;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.UnitTestReward;
import org.apache.spark.SparkContext$;
import org.junit.jupiter.api.Test;

/** On the distributed jar but without --ranks or --master (no Spark context), reward_executor: spark is one line. */
class SparkRewardWithoutRanksTest {

    @Test
    void sparkRewardsWithoutASparkContextAreRefusedInOneLine() {
        assertTrue(SparkContext$.MODULE$.getActive().isEmpty(), "the other test classes stop their contexts");
        BadInputException e = assertThrows(BadInputException.class,
                () -> new UnitTestReward(Language.PYTHON, Map.of("reward_executor", "spark")));
        assertTrue(e.getMessage().startsWith("python_tests: reward_executor: spark runs the sandboxes on a Spark "
                + "cluster: start the run with --ranks N or --master URL"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
