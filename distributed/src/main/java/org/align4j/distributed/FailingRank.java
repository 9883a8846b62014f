package org.align4j.distributed;

import java.util.List;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.train.Collective;
import org.align4j.policy.train.StopRequest;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rank that carries out an {@link InjectedFault} (fails in the gradient sum of an optimizer step, or in the
 * checkpoint saved after it, or files a stop request there): the tests that a failing rank fails the whole run with
 * its error, and that a stopped run saves one complete checkpoint, leaving nothing half-written. Every operation is
 * the wrapped collective's own (the ranks must run the same implementation of each).
 */
final class FailingRank implements Collective {
    private final Collective ranks;
    private final InjectedFault fault;
    private long gradientSums;
    /** Barriers since the gradient sum of the fault's step (a sharded checkpoint's second one waits for the shards). */
    private int barriersAfter;

    FailingRank(Collective ranks, InjectedFault fault) {
        this.ranks = ranks;
        this.fault = fault;
    }

    @Override
    public int rank() {
        return ranks.rank();
    }

    @Override
    public int size() {
        return ranks.size();
    }

    @Override
    public List<byte[]> allGather(byte[] mine) {
        return ranks.allGather(mine);
    }

    @Override
    public void barrier() {
        if (fault.kind() == InjectedFault.Kind.FAILS_IN_CHECKPOINT && gradientSums > fault.step()
                && ++barriersAfter == 2) {
            throw new IllegalStateException("rank " + rank() + ": injected failure in the checkpoint after optimizer "
                    + "step " + fault.step() + ", its optimizer shard written");
        }
        ranks.barrier();
    }

    @Override
    public byte[] broadcast(byte[] data, int root) {
        return ranks.broadcast(data, root);
    }

    @Override
    public void allReduceSum(double[] values) {
        ranks.allReduceSum(values);
    }

    @Override
    public void allReduceSum(float[] values) {
        ranks.allReduceSum(values);
    }

    @Override
    public void broadcast(List<INDArray> arrays, int root, Ops ops) {
        ranks.broadcast(arrays, root, ops);
    }

    @Override
    public void allReduceSum(List<INDArray> arrays, Ops ops) {
        if (gradientSums++ == fault.step()) {
            if (fault.kind() == InjectedFault.Kind.FAILS_IN_GRADIENT_SUM) {
                throw new IllegalStateException("rank " + rank() + ": injected failure at optimizer step " + fault.step());
            }
            if (fault.kind() == InjectedFault.Kind.REQUESTS_STOP) {
                StopRequest.request("SIGINT", 130);
            }
        }
        ranks.allReduceSum(arrays, ops);
    }
}
