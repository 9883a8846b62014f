package org.align4j.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.align4j.reward.code.CodeTestExecutor;
import org.align4j.reward.code.CodeTestJob;
import org.align4j.reward.code.CodeTestReport;
import org.align4j.reward.code.CodeTestRunner;
import org.align4j.reward.code.CodeTestSpec;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The Spark task of {@link SparkCodeTestExecutor}: runs its chunk of completions against their tests in the sandbox
 * of its executor, {@code spark.task.cpus} sandboxes at once, and returns the reports in the chunk's order. The
 * runner of a spec is made once per executor JVM (making one probes the interpreter in the sandbox).
 */
final class ScoreChunk extends AbstractFunction1<Iterator<CodeTestJob>, Iterator<CodeTestReport>>
        implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final Map<CodeTestSpec, CodeTestRunner> RUNNERS = new ConcurrentHashMap<>();

    private final CodeTestSpec spec;

    ScoreChunk(CodeTestSpec spec) {
        this.spec = spec;
    }

    @Override
    public Iterator<CodeTestReport> apply(Iterator<CodeTestJob> chunk) {
        List<CodeTestJob> jobs = new ArrayList<>();
        CollectionConverters.asJava(chunk).forEachRemaining(jobs::add);
        CodeTestRunner runner = RUNNERS.computeIfAbsent(spec, CodeTestSpec::runner);
        TaskContext task = TaskContext.get();
        int cpus = task == null ? 1 : Math.max(1, task.cpus());
        List<CodeTestReport> reports;
        try (CodeTestExecutor pool = CodeTestExecutor.local("spark-" + spec.language().name().toLowerCase(), cpus)) {
            reports = pool.run(spec, runner, jobs);
        }
        return CollectionConverters.asScala(reports.iterator());
    }
}
