package org.align4j.distributed;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.DistributedLauncher;
import org.align4j.policy.train.TrainingInterruptedException;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Runs a data-parallel job as one Spark barrier stage of {@code ranks} tasks (Horovod-on-Spark and XGBoost4J-Spark
 * place their workers so): every task starts together, or none does, and when one fails Spark stops the others
 * and the job fails with the failed task's error. Without a master the job runs in Spark's local mode, embedded
 * in this process with {@code ranks} threads (and one per core for the code-reward tasks of
 * {@code reward_executor: spark}, which the driver runs for the ranks through its {@link RewardService}); under spark-submit the master and the GPU scheduling come from
 * spark-submit's configuration.
 */
public final class SparkLauncher implements DistributedLauncher {

    @Override
    public String run(Job job, PrintStream log) {
        RankTask.check(job); // before Spark starts
        SparkContext sc = SparkContext.getOrCreate(conf(job));
        try {
            return run(sc, job, InjectedFault.NONE);
        } finally {
            sc.stop();
        }
    }

    /** The Spark configuration of a job started here (spark-submit's settings win where given). */
    static SparkConf conf(Job job) {
        SparkConf conf = new SparkConf().setAppName("align4j " + job.trainer() + " x" + job.ranks());
        if (!conf.contains("spark.master")) {
            // beyond the ranks' slots, one per core for the tasks of reward_executor: spark
            int slots = job.ranks() + Runtime.getRuntime().availableProcessors();
            conf.setMaster(job.master() != null ? job.master() : "local[" + slots + "]");
        }
        conf.setIfMissing("spark.ui.enabled", "false");
        // a failed rank fails the run: no second attempt of the barrier stage over a half-trained state
        conf.setIfMissing("spark.task.maxFailures", "1");
        conf.setIfMissing("spark.stage.maxConsecutiveAttempts", "1");
        return conf;
    }

    /** Runs the job on {@code sc} with rank failRank failing in the gradient sum of step failStep (tests; -1: none). */
    static String run(SparkContext sc, Job job, int failRank, long failStep) {
        return run(sc, job, new InjectedFault(failRank, failStep, InjectedFault.Kind.FAILS_IN_GRADIENT_SUM));
    }

    /**
     * Runs the job on {@code sc} (fault: the test's, {@link InjectedFault#NONE} for none); returns rank 0's result. A
     * failed rank's error is rethrown as it was when it is a RuntimeException.
     */
    static String run(SparkContext sc, Job job, InjectedFault fault) {
        if (job.ranks() < 1) {
            throw new IllegalArgumentException("--ranks must be >= 1, got " + job.ranks());
        }
        RankTask.check(job);
        List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < job.ranks(); i++) {
            partitions.add(i);
        }
        ClassTag<Integer> ints = ClassTag$.MODULE$.apply(Integer.class);
        ClassTag<String> strings = ClassTag$.MODULE$.apply(String.class);
        RDD<Integer> rdd = sc.parallelize(CollectionConverters.asScala(partitions).toSeq(), job.ranks(), ints);
        String[] lines;
        try (RewardService rewards = new RewardService(sc);
             StopForwarding stops = new StopForwarding(sc.getConf().get("spark.driver.host", "127.0.0.1"))) {
            RDD<String> results = rdd.barrier().mapPartitions(new RankTask(job, fault, rewards.address(),
                    stops.address()), false, strings);
            lines = (String[]) results.collect();
        } catch (RuntimeException e) {
            throw rankError(e);
        } catch (Exception e) {
            // Scala methods throw checked exceptions undeclared (SparkException when a task failed)
            throw rankError(e);
        }
        TrainingInterruptedException stopped = RankTask.interruption(lines[0]);
        if (stopped != null) {
            throw stopped;
        }
        return lines[0];
    }

    /**
     * The failed rank's own exception where Spark kept it (local mode passes the task's exception through), else
     * Spark's, whose message names the task and its error.
     */
    private static RuntimeException rankError(Exception e) {
        if (!(e instanceof SparkException)) {
            return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof RuntimeException && !(t instanceof SparkException)) {
                return (RuntimeException) t;
            }
        }
        return new IllegalStateException("a rank failed: " + e.getMessage(), e);
    }
}
