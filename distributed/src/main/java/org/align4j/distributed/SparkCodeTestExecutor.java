package org.align4j.distributed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.align4j.reward.code.CodeTestExecutor;
import org.align4j.reward.code.CodeTestJob;
import org.align4j.reward.code.CodeTestReport;
import org.align4j.reward.code.CodeTestRunner;
import org.align4j.reward.code.CodeTestSpec;
import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * {@code reward_executor: spark}: a batch of code-reward jobs runs as one Spark job on the cluster's executors, one
 * task per contiguous chunk of the completions (as many chunks as the cluster's default parallelism, at most one per
 * completion), each task running its chunk through the same sandboxed {@link CodeTestRunner} on its executor
 * ({@link ScoreChunk}); the reports come back in the completions' order. The executors run the same application
 * jar, so the sandbox and the harnesses are there; the interpreter (python3, g++, ...) must be installed on them.
 */
final class SparkCodeTestExecutor implements CodeTestExecutor {

    static final String NAME = "spark";

    private final SparkContext sc;

    SparkCodeTestExecutor(SparkContext sc) {
        this.sc = sc;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<CodeTestReport> run(CodeTestSpec spec, CodeTestRunner local, List<CodeTestJob> jobs) {
        if (jobs.isEmpty()) {
            return List.of();
        }
        int tasks = Math.max(1, Math.min(jobs.size(), sc.defaultParallelism()));
        ClassTag<CodeTestJob> jobTag = ClassTag$.MODULE$.apply(CodeTestJob.class);
        ClassTag<CodeTestReport> reportTag = ClassTag$.MODULE$.apply(CodeTestReport.class);
        // parallelize cuts a sequence into contiguous slices and collect concatenates them in order
        RDD<CodeTestJob> rdd = sc.parallelize(CollectionConverters.asScala(new ArrayList<>(jobs)).toSeq(), tasks, jobTag);
        RDD<CodeTestReport> reports = rdd.mapPartitions(new ScoreChunk(spec), true, reportTag);
        Object[] out;
        try {
            out = (Object[]) reports.collect();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // Scala methods throw checked exceptions undeclared (SparkException when a task failed)
            throw new IllegalStateException("reward_executor: spark: " + e.getMessage(), e);
        }
        if (out.length != jobs.size()) {
            throw new IllegalStateException("reward_executor: spark returned " + out.length + " reports for "
                    + jobs.size() + " completions");
        }
        return Arrays.stream(out).map(CodeTestReport.class::cast).toList();
    }
}
