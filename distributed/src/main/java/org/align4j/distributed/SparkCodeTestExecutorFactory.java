package org.align4j.distributed;

import org.align4j.policy.util.BadInputException;
import org.align4j.reward.code.CodeTestExecutor;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.TaskContext;
import scala.Option;

/**
 * Finds {@code reward_executor: spark} for the reward module ({@link java.util.ServiceLoader}). On a rank of a
 * {@code --ranks} run (a barrier task, which cannot start Spark jobs), the batches go to the driver's
 * {@link RewardService}; on the driver itself they run on its Spark context directly.
 */
public final class SparkCodeTestExecutorFactory implements CodeTestExecutor.Factory {

    /** The driver's reward service (host:port) of the rank running on this thread; set by {@link RankTask}. */
    private static final ThreadLocal<String> SERVICE = new ThreadLocal<>();

    static void useService(String address) {
        if (address == null) {
            SERVICE.remove();
        } else {
            SERVICE.set(address);
        }
    }

    @Override
    public String name() {
        return SparkCodeTestExecutor.NAME;
    }

    @Override
    public CodeTestExecutor create(String owner) {
        String service = SERVICE.get();
        if (service != null) {
            return new RewardServiceClient(service);
        }
        Option<SparkContext> active = SparkContext$.MODULE$.getActive();
        if (active.isEmpty() || TaskContext.get() != null) {
            throw new BadInputException(owner + ": reward_executor: spark runs the sandboxes on a Spark cluster: "
                    + "start the run with --ranks N or --master URL (or use reward_executor: local)");
        }
        return new SparkCodeTestExecutor(active.get());
    }
}
