package org.align4j.distributed;

import java.util.List;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.train.Collective;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rank that fails in the gradient sum of optimizer step {@code failStep} (0-based): the injected failure of the
 * tests that a failing rank fails the whole run with its error and leaves nothing half-written. Every other
 * operation is the wrapped collective's own (the ranks must run the same implementation of each).
 */
final class FailingRank implements Collective {
    private final Collective ranks;
    private final long failStep;
    private long gradientSums;

    FailingRank(Collective ranks, long failStep) {
        this.ranks = ranks;
        this.failStep = failStep;
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
        if (gradientSums++ == failStep) {
            throw new IllegalStateException("rank " + rank() + ": injected failure at optimizer step " + failStep);
        }
        ranks.allReduceSum(arrays, ops);
    }
}
