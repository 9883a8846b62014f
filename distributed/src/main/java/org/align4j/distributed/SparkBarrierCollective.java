package org.align4j.distributed;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.align4j.policy.train.Collective;
import org.apache.spark.BarrierTaskContext;

/**
 * The collective of the ranks of one Spark barrier stage (one task per rank, all launched together), through
 * {@link BarrierTaskContext#allGather}: every message goes through the driver, which is fine for the CPU ranks of
 * tests and tiny models, and for exchanging NCCL's unique id, not for a large model's gradients (NCCL's job).
 */
final class SparkBarrierCollective implements Collective {
    private final BarrierTaskContext context;
    private final int rank;
    private final int size;

    SparkBarrierCollective(BarrierTaskContext context) {
        this.context = context;
        this.rank = context.partitionId();
        this.size = context.getTaskInfos().length;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    /** The bytes travel as Base64 text, the message type of Spark's allGather. */
    @Override
    public List<byte[]> allGather(byte[] mine) {
        String[] all = context.allGather(Base64.getEncoder().encodeToString(mine));
        List<byte[]> out = new ArrayList<>(all.length);
        for (String s : all) {
            out.add(Base64.getDecoder().decode(s));
        }
        return out;
    }

    @Override
    public void barrier() {
        context.barrier();
    }

    @Override
    public String toString() {
        return "rank " + rank + " of " + size + " (Spark barrier)";
    }
}
