package org.align4j.distributed;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.dpo.DpoConfig;
import org.align4j.dpo.DpoTrainer;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.cuda.CudaOps;
import org.align4j.policy.ops.cuda.NcclCollective;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.sft.SftTrainer;
import org.align4j.policy.train.Collective;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.DistributedLauncher;
import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.train.TrainingInterruptedException;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.util.FiniteJson;
import org.apache.spark.BarrierTaskContext;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One rank of a data-parallel run, as the task of a Spark barrier stage (partition i is rank i): reads the config,
 * joins the ranks' collective (Spark's barrier all-gather on the CPU; NCCL between the GPUs, its unique id
 * exchanged through the barrier), and runs the trainer to its end. Returns rank 0's result line (the others'
 * are empty). Each rank reads the config, data and model itself: on a cluster they must be on a shared file system.
 */
final class RankTask extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final DistributedLauncher.Job job;
    /** Test only: what one rank does at one step. */
    private final InjectedFault fault;
    /** The driver's {@link RewardService} (host:port) for reward_executor: spark; null: none. */
    private final String rewardService;
    /** The driver's {@link StopForwarding}. */
    private final String stops;

    RankTask(DistributedLauncher.Job job, InjectedFault fault, String rewardService, String stops) {
        this.job = job;
        this.fault = fault;
        this.rewardService = rewardService;
        this.stops = stops;
    }

    @Override
    public Iterator<String> apply(Iterator<Integer> partition) {
        SparkCodeTestExecutorFactory.useService(rewardService);
        try (AutoCloseable driverStops = StopForwarding.receive(stops)) {
            return CollectionConverters.asScala(List.of(rank()).iterator());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e); // closing a socket
        } finally {
            SparkCodeTestExecutorFactory.useService(null);
        }
    }

    private String rank() {
        BarrierTaskContext context = BarrierTaskContext.get();
        try {
            return rank(context);
        } catch (RankLeftException e) {
            awaitStageEnd(context);
            throw e;
        }
    }

    /**
     * After another rank left: Spark fails the run with the error of the rank that ends first, so this one waits
     * for Spark to stop it (the failed rank reports its own error meanwhile; a rank's closed connection reaches the
     * others before its error reaches the driver), or a minute where that rank's process died with no error.
     */
    private static void awaitStageEnd(BarrierTaskContext context) {
        long end = System.nanoTime() + 60_000_000_000L;
        while (!context.isInterrupted() && System.nanoTime() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private String rank(BarrierTaskContext context) {
        SparkBarrierCollective barrier = new SparkBarrierCollective(context);
        String result;
        if ("cuda".equals(job.device())) {
            // one GPU per rank; the gradients go through NCCL, the barrier only hands out NCCL's unique id
            CudaOps gpu = GpuRank.ops(context, barrier.rank());
            try (NcclCollective nccl = new NcclCollective(barrier, gpu)) {
                result = run(job, injected(nccl), gpu);
            }
        } else {
            // the barrier's messages each take about a second: the steps' sums go over TCP
            String host = context.getTaskInfos()[0].address().split(":")[0];
            try (SocketCollective tcp = new SocketCollective(barrier, host)) {
                result = run(job, injected(tcp), Ops.cpu());
            }
        }
        return result;
    }

    /** The test's faulty rank, where this is it. */
    private Collective injected(Collective ranks) {
        return ranks.rank() == fault.rank() ? new FailingRank(ranks, fault) : ranks;
    }

    /**
     * Runs the job's trainer as one rank of {@code ranks}; rank 0's result line, "" on the others. A run stopped by a
     * stop request ends normally on every rank (Spark would stop the other ranks of a rank that throws, maybe while
     * rank 0 still writes): rank 0's line is then {@link #interrupted}, which the driver turns back into the exception.
     */
    static String run(DistributedLauncher.Job job, Collective ranks, Ops ops) {
        try {
            return train(job, ranks, ops);
        } catch (TrainingInterruptedException e) {
            return ranks.writes() ? interrupted(e) : "";
        }
    }

    /** The prefix of the result line of a stopped run. */
    static final String INTERRUPTED = "interrupted ";

    private static String interrupted(TrainingInterruptedException e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("signal", e.signal());
        m.put("exit_code", e.exitCode());
        m.put("step", e.step());
        m.put("checkpoint", e.checkpoint() == null ? null : e.checkpoint().toString());
        return INTERRUPTED + FiniteJson.object(m);
    }

    /** The exception of a stopped run from rank 0's result line, or null where the run was not stopped. */
    static TrainingInterruptedException interruption(String line) {
        if (line == null || !line.startsWith(INTERRUPTED)) {
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(line.substring(INTERRUPTED.length()));
            String checkpoint = m.get("checkpoint").isNull() ? null : m.get("checkpoint").asText();
            return new TrainingInterruptedException(m.get("signal").asText(), m.get("exit_code").asInt(),
                    m.get("step").asLong(), checkpoint == null ? null : Paths.get(checkpoint));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("rank 0's result is not readable: " + line, e);
        }
    }

    private static String train(DistributedLauncher.Job job, Collective ranks, Ops ops) {
        Backends.useOnThisThread(ops);
        PrintStream log = ranks.writes() ? System.err : new PrintStream(OutputStream.nullOutputStream());
        Path config = job.configFile() == null ? null : Paths.get(job.configFile());
        Map<String, Object> out = new LinkedHashMap<>();
        switch (job.trainer()) {
            case "sft" -> {
                SftConfig c = ConfigLoader.load(config, SftConfig.class, job.overrides());
                distribute(c, ranks);
                out.putAll(new SftTrainer(c, job.resume(), log).train().summary());
            }
            case "dpo" -> {
                DpoConfig c = ConfigLoader.load(config, DpoConfig.class, job.overrides());
                distribute(c, ranks);
                out.putAll(new DpoTrainer(c, job.resume(), log).train().summary());
            }
            case "grpo" -> {
                GrpoConfig c = ConfigLoader.load(config, GrpoConfig.class, job.overrides());
                distribute(c, ranks);
                out.putAll(new GrpoTrainer(c, job.resume(), log).train().summary());
            }
            default -> throw new BadInputException(refusal(job.trainer()));
        }
        out.put("ranks", ranks.size());
        return ranks.writes() ? FiniteJson.object(out).toString() : "";
    }

    /** The trainers that run data-parallel. */
    static final String DATA_PARALLEL = "sft, dpo and grpo";

    /**
     * Refuses, on the driver before any rank starts, a job that does not run data-parallel: another trainer, or
     * iterative GRPO (its reward model's training between the GRPO phases runs on one process).
     */
    static void check(DistributedLauncher.Job job) {
        switch (job.trainer()) {
            case "sft", "dpo" -> { }
            case "grpo" -> {
                Path config = job.configFile() == null ? null : Paths.get(job.configFile());
                if (ConfigLoader.load(config, GrpoConfig.class, job.overrides()).iterative != null) {
                    throw new BadInputException("iterative GRPO (grpo with an iterative: section) trains on one rank: "
                            + "--ranks and --master (data-parallel training) are for " + DATA_PARALLEL
                            + " without iterative (docs/distributed.md)");
                }
            }
            default -> throw new BadInputException(refusal(job.trainer()));
        }
    }

    private static String refusal(String trainer) {
        return trainer + " trains on one rank: --ranks and --master (data-parallel training) are for " + DATA_PARALLEL
                + " (docs/distributed.md)";
    }

    private static void distribute(TrainingConfig c, Collective ranks) {
        c.distributeOver(ranks);
    }
}
