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
    /** Test only: the rank that throws instead of taking its step failStep (0-based); -1: none. */
    private final int failRank;
    private final long failStep;
    /** The driver's {@link RewardService} (host:port) for reward_executor: spark; null: none. */
    private final String rewardService;

    RankTask(DistributedLauncher.Job job, int failRank, long failStep, String rewardService) {
        this.job = job;
        this.failRank = failRank;
        this.failStep = failStep;
        this.rewardService = rewardService;
    }

    @Override
    public Iterator<String> apply(Iterator<Integer> partition) {
        SparkCodeTestExecutorFactory.useService(rewardService);
        try {
            return CollectionConverters.asScala(List.of(rank()).iterator());
        } finally {
            SparkCodeTestExecutorFactory.useService(null);
        }
    }

    private String rank() {
        BarrierTaskContext context = BarrierTaskContext.get();
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

    /** The test's failing rank, where this is it. */
    private Collective injected(Collective ranks) {
        return ranks.rank() == failRank ? new FailingRank(ranks, failStep) : ranks;
    }

    /** Runs the job's trainer as one rank of {@code ranks}; rank 0's result line, "" on the others. */
    static String run(DistributedLauncher.Job job, Collective ranks, Ops ops) {
        Backends.useOnThisThread(ops);
        PrintStream log = ranks.writes() ? System.err : new PrintStream(OutputStream.nullOutputStream());
        Path config = job.configFile() == null ? null : Paths.get(job.configFile());
        Map<String, Object> out = new LinkedHashMap<>();
        switch (job.trainer()) {
            case "sft" -> {
                SftConfig c = ConfigLoader.load(config, SftConfig.class, job.overrides());
                distribute(c, ranks);
                SftTrainer.Result r = new SftTrainer(c, job.resume(), log).train();
                out.put("run_dir", r.runDir().toString());
                out.put("final_model", r.finalModel().toString());
                out.put("steps", r.steps());
                out.put("loss", r.lastLoss());
                if (r.lastEvalLoss() != null) {
                    out.put("eval_loss", r.lastEvalLoss());
                }
            }
            case "dpo" -> {
                DpoConfig c = ConfigLoader.load(config, DpoConfig.class, job.overrides());
                distribute(c, ranks);
                DpoTrainer.Result r = new DpoTrainer(c, job.resume(), log).train();
                out.put("run_dir", r.runDir().toString());
                out.put("final_model", r.finalModel().toString());
                out.put("steps", r.steps());
                out.putAll(r.train());
                out.putAll(r.eval());
            }
            case "grpo" -> {
                GrpoConfig c = ConfigLoader.load(config, GrpoConfig.class, job.overrides());
                if (c.iterative != null) {
                    throw new BadInputException("iterative GRPO runs on one rank (drop --ranks)");
                }
                distribute(c, ranks);
                GrpoTrainer.Result r = new GrpoTrainer(c, job.resume(), log).train();
                out.put("run_dir", r.runDir().toString());
                out.put("final_model", r.finalModel().toString());
                out.put("steps", r.steps());
                out.put("reward", r.lastRewardMean());
                if (r.lastEvalAccuracy() != null) {
                    out.put("eval_accuracy", r.lastEvalAccuracy());
                }
            }
            default -> throw new BadInputException("--ranks runs sft, dpo or grpo, not " + job.trainer());
        }
        out.put("ranks", ranks.size());
        return ranks.writes() ? FiniteJson.object(out).toString() : "";
    }

    private static void distribute(TrainingConfig c, Collective ranks) {
        c.distributeOver(ranks);
    }
}
