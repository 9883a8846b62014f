package org.align4j.policy.train;

import java.io.PrintStream;
import java.io.Serializable;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Runs a training command on several data-parallel ranks (the distributed module's Spark launcher, found through
 * {@link ServiceLoader} so that a build without that module, and every one-rank run, never loads Spark).
 */
public interface DistributedLauncher {

    /**
     * One data-parallel run: the trainer ("sft", "dpo" or "grpo"), its config file and --set overrides, --resume,
     * the number of ranks, the Spark master (null: Spark's local mode, embedded, with {@code ranks} threads) and
     * the device of each rank ("cpu" or "cuda": one GPU per rank, gradients summed through NCCL).
     */
    record Job(String trainer, String configFile, List<String> overrides, boolean resume, int ranks, String master,
               String device) implements Serializable {
        public Job {
            overrides = List.copyOf(overrides);
        }
    }

    /**
     * Runs the job to its end and returns rank 0's result (the command's JSON line). A rank that fails fails the
     * run: the error thrown is that rank's.
     */
    String run(Job job, PrintStream log);

    /** The launcher of this build, if it has the distributed module. */
    static Optional<DistributedLauncher> find() {
        return ServiceLoader.load(DistributedLauncher.class).findFirst();
    }
}
