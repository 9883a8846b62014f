package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.align4j.policy.train.Collective;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NCCL through {@link NcclCollective}: on one GPU (one rank, the sums are the inputs, but every NCCL call runs:
 * the unique id, the communicator, grouped all-reduces and broadcasts on the backend's stream, the host sums), and
 * on every GPU of the machine when it has two or more (rank i on GPU i, each array's sum against the CPU's sum).
 */
@EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")
class CudaNcclTest {

    @org.junit.jupiter.api.BeforeAll
    static void ncclLoads() {
        String why = NcclCollective.unavailableReason();
        if (why != null) {
            System.out.println("CudaNcclTest skipped: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
    }

    @Test
    void oneRankOnOneGpuSumsToItsOwnArrays() {
        CudaOps ops = CudaTesting.ops();
        try (NcclCollective nccl = new NcclCollective(Collective.SINGLE, ops)) {
            INDArray f = Nd4j.rand(DataType.FLOAT, 3, 5);
            INDArray d = Nd4j.rand(DataType.DOUBLE, 7);
            INDArray fWant = f.dup();
            INDArray dWant = d.dup();
            // device-newer inputs, as gradients are after a backward pass
            ops.scale(f, 2.0);
            ops.scale(d, 2.0);
            nccl.allReduceSum(List.of(f), ops);
            nccl.allReduceSum(List.of(d), ops);
            ops.toHost(f);
            ops.toHost(d);
            assertArrayEquals(fWant.mul(2).data().asFloat(), f.data().asFloat(), 0f);
            assertArrayEquals(dWant.mul(2).data().asDouble(), d.data().asDouble(), 0.0);
            double[] host = {1.5, -2.0};
            nccl.allReduceSum(host);
            assertArrayEquals(new double[] {1.5, -2.0}, host, 0.0);
            nccl.broadcast(List.of(f), 0, ops);
            ops.toHost(f);
            assertArrayEquals(fWant.mul(2).data().asFloat(), f.data().asFloat(), 0f);
        }
    }

    @Test
    void everyGpuOfTheMachineSumsTheRanksArrays() throws Exception {
        int gpus = Gpu.deviceCount();
        Assumptions.assumeTrue(gpus >= 2, "one GPU: the ranks' sum needs two or more");
        ThreadRanks ranks = new ThreadRanks(gpus);
        ExecutorService pool = Executors.newFixedThreadPool(gpus);
        try {
            List<Future<float[]>> sums = new ArrayList<>();
            for (int r = 0; r < gpus; r++) {
                int rank = r;
                sums.add(pool.submit(() -> {
                    CudaOps ops = new CudaOps(CudaOps.Options.defaults(), rank);
                    try (NcclCollective nccl = new NcclCollective(ranks.rank(rank), ops)) {
                        INDArray a = values(rank);
                        ops.scale(a, 1.0); // device-newer
                        nccl.allReduceSum(List.of(a), ops);
                        double[] host = {rank};
                        nccl.allReduceSum(host);
                        assertEquals(gpus * (gpus - 1) / 2.0, host[0], 0.0);
                        ops.toHost(a);
                        return a.data().asFloat();
                    }
                }));
            }
            INDArray want = Nd4j.zeros(DataType.FLOAT, 1000);
            for (int r = 0; r < gpus; r++) {
                want.addi(values(r));
            }
            for (Future<float[]> s : sums) {
                assertArrayEquals(want.data().asFloat(), s.get(), 1e-4f);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static INDArray values(int rank) {
        INDArray a = Nd4j.zeros(DataType.FLOAT, 1000);
        for (int i = 0; i < 1000; i++) {
            a.putScalar(i, (rank + 1) * 0.001f * i);
        }
        return a;
    }

    /** The bootstrap of threads in one process: only broadcast (NCCL's unique id) and barrier are needed. */
    private static final class ThreadRanks {
        private final int size;
        private final CyclicBarrier barrier;
        private volatile byte[] shared;

        ThreadRanks(int size) {
            this.size = size;
            this.barrier = new CyclicBarrier(size);
        }

        Collective rank(int rank) {
            return new Collective() {
                @Override
                public int rank() {
                    return rank;
                }

                @Override
                public int size() {
                    return size;
                }

                @Override
                public List<byte[]> allGather(byte[] mine) {
                    throw new UnsupportedOperationException("not needed by NCCL's bootstrap");
                }

                @Override
                public byte[] broadcast(byte[] data, int root) {
                    if (rank == root) {
                        shared = data.clone();
                    }
                    await();
                    byte[] out = shared.clone();
                    await();
                    return out;
                }

                @Override
                public void barrier() {
                    await();
                }
            };
        }

        private void await() {
            try {
                barrier.await();
            } catch (InterruptedException | BrokenBarrierException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
