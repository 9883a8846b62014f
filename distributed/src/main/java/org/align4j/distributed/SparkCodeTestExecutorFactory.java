package org.align4j.distributed;

import org.align4j.policy.util.BadInputException;
import org.align4j.reward.code.CodeTestExecutor;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import scala.Option;

/**
 * Finds {@code reward_executor: spark} for the reward module ({@link java.util.ServiceLoader}): the executor runs
 * on the Spark context of this process, the one {@code --ranks} or {@code --master} started.
 */
public final class SparkCodeTestExecutorFactory implements CodeTestExecutor.Factory {

    @Override
    public String name() {
        return SparkCodeTestExecutor.NAME;
    }

    @Override
    public CodeTestExecutor create(String owner) {
        Option<SparkContext> active = SparkContext$.MODULE$.getActive();
        if (active.isEmpty()) {
            throw new BadInputException(owner + ": reward_executor: spark runs the sandboxes on a Spark cluster: "
                    + "start the run with --ranks N or --master URL (or use reward_executor: local)");
        }
        return new SparkCodeTestExecutor(active.get());
    }
}
