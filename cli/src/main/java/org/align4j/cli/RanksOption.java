package org.align4j.cli;

import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.train.DistributedLauncher;
import org.align4j.policy.util.BadInputException;
import picocli.CommandLine.Option;

/**
 * --ranks and --master of sft, dpo and grpo (a picocli mixin): data-parallel training on Spark
 * (docs/distributed.md). Spark is loaded only when one of them is given, and only a launcher jar built with the
 * distributed module has it.
 */
final class RanksOption {
    @Option(names = "--ranks", paramLabel = "N", description = "Data-parallel ranks, each taking batch_size x "
            + "gradient_accumulation_steps examples a step (TRL's per-device batch); Spark's local mode in this "
            + "process unless --master or spark-submit gives a cluster (docs/distributed.md).")
    int ranks = 1;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master of the ranks (spark://host:7077, "
            + "yarn, k8s://...; local[N] for this machine).")
    String master;

    /** Whether the run is distributed (then the command runs it through {@link #launch}). */
    boolean distributed() {
        return ranks != 1 || master != null;
    }

    /** Runs the command on the ranks; returns rank 0's result line. */
    String launch(String trainer, Path config, List<String> overrides, boolean resume, String device) {
        if (ranks < 1) {
            throw new BadInputException("--ranks must be >= 1, got " + ranks);
        }
        DistributedLauncher launcher = DistributedLauncher.find().orElseThrow(() -> new BadInputException(
                "--ranks and --master need the distributed module, which this launcher jar was built without: "
                        + "mvn -Pdistributed -DskipTests package (./align4j builds it when it sees --ranks or --master)"));
        return launcher.run(new DistributedLauncher.Job(trainer, config.toString(), overrides, resume, ranks, master,
                device), System.err);
    }
}
