package org.align4j.policy.ops.cuda;

import static org.bytedeco.cuda.global.nccl.NCCL_UNIQUE_ID_BYTES;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclBroadcast;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRank;
import static org.bytedeco.cuda.global.nccl.ncclDouble;
import static org.bytedeco.cuda.global.nccl.ncclFloat32;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;
import static org.bytedeco.cuda.global.nccl.ncclGroupEnd;
import static org.bytedeco.cuda.global.nccl.ncclGroupStart;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;

import java.util.List;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.train.Collective;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The collective of data-parallel ranks with one GPU each ({@link CudaOps}), through NCCL (in JavaCPP's CUDA
 * presets; the library itself, libnccl.so.2, comes from the machine as the other CUDA libraries do). Rank 0 makes
 * NCCL's unique id and the bootstrap collective (Spark's barrier) hands it to the others. Sums of arrays and of
 * host numbers run on the backend's stream, in place on the arrays' device copies, grouped into one NCCL launch;
 * byte messages (rare: configuration, the id) go through the bootstrap.
 */
public final class NcclCollective implements Collective, AutoCloseable {
    private final Collective bootstrap;
    private final CudaOps ops;
    private final ncclComm comm = new ncclComm();

    /** Joins the ranks of bootstrap, each driving its own GPU through ops; every rank calls it together. */
    public NcclCollective(Collective bootstrap, CudaOps ops) {
        this.bootstrap = bootstrap;
        this.ops = ops;
        String why = unavailableReason();
        if (why != null) {
            throw new CudaException(why);
        }
        ncclUniqueId id = new ncclUniqueId();
        byte[] idBytes = new byte[NCCL_UNIQUE_ID_BYTES];
        if (bootstrap.rank() == 0) {
            check(ncclGetUniqueId(id), "ncclGetUniqueId");
            for (int i = 0; i < idBytes.length; i++) {
                idBytes[i] = id.internal(i);
            }
        }
        idBytes = bootstrap.broadcast(idBytes, 0);
        for (int i = 0; i < idBytes.length; i++) {
            id.internal(i, idBytes[i]);
        }
        // ncclCommInitRank uses the calling thread's current device: the backend's, bound by inPlace
        ops.inPlace(List.of(), (stream, addresses) ->
                check(ncclCommInitRank(comm, bootstrap.size(), id, bootstrap.rank()), "ncclCommInitRank"));
    }

    /** Why NCCL cannot be used in this process, or null when it can (its library loads). */
    public static String unavailableReason() {
        try {
            Loader.load(org.bytedeco.cuda.global.nccl.class);
            return null;
        } catch (Throwable t) {
            return "cannot load NCCL (libnccl.so.2 must be on LD_LIBRARY_PATH, e.g. the lib folder of the "
                    + "nvidia-nccl-cu13 wheel): " + t;
        }
    }

    @Override
    public int rank() {
        return bootstrap.rank();
    }

    @Override
    public int size() {
        return bootstrap.size();
    }

    @Override
    public List<byte[]> allGather(byte[] mine) {
        return bootstrap.allGather(mine);
    }

    @Override
    public void barrier() {
        bootstrap.barrier();
    }

    /** The arrays (the gradients) summed in place on the GPU, one grouped NCCL call. */
    @Override
    public void allReduceSum(List<INDArray> arrays, Ops backend) {
        grouped(arrays, "ncclAllReduce", (p, a, stream) -> ncclAllReduce(p, p, a.length(), type(a), ncclSum, comm, stream));
    }

    /** Rank root's arrays on every rank (the weights of ZeRO-1's owners), one grouped NCCL call. */
    @Override
    public void broadcast(List<INDArray> arrays, int root, Ops backend) {
        grouped(arrays, "ncclBroadcast", (p, a, stream) -> ncclBroadcast(p, p, a.length(), type(a), root, comm, stream));
    }

    /** Host numbers (the step's counts and loss) through a small device array. */
    @Override
    public void allReduceSum(double[] values) {
        if (values.length == 0) {
            return;
        }
        INDArray a = summed(Nd4j.createFromArray(values.clone()));
        for (int i = 0; i < values.length; i++) {
            values[i] = a.getDouble(i);
        }
    }

    @Override
    public void allReduceSum(float[] values) {
        if (values.length == 0) {
            return;
        }
        INDArray a = summed(Nd4j.createFromArray(values.clone()));
        for (int i = 0; i < values.length; i++) {
            values[i] = a.getFloat(i);
        }
    }

    /** a summed over the ranks, back on the host. */
    private INDArray summed(INDArray a) {
        allReduceSum(List.of(a), ops);
        ops.toHost(a);
        return a;
    }

    /** One NCCL operation on one array, in place at its device address p, on the backend's stream. */
    private interface ArrayCall {
        int call(Gpu.Addr p, INDArray a, CUstream_st stream);
    }

    /** call on every array's device copy, between ncclGroupStart and ncclGroupEnd: one launch for them all. */
    private void grouped(List<INDArray> arrays, String what, ArrayCall call) {
        if (arrays.isEmpty()) {
            return;
        }
        ops.inPlace(arrays, (stream, addresses) -> {
            Gpu.Addr p = new Gpu.Addr();
            check(ncclGroupStart(), "ncclGroupStart");
            try {
                for (int i = 0; i < addresses.length; i++) {
                    check(call.call(p.at(addresses[i]), arrays.get(i), stream), what);
                }
            } finally {
                check(ncclGroupEnd(), "ncclGroupEnd");
            }
        });
    }

    @Override
    public void close() {
        ops.inPlace(List.of(), (stream, addresses) -> ncclCommDestroy(comm));
    }

    @Override
    public String toString() {
        return "rank " + rank() + " of " + size() + " (NCCL, GPU " + ops.deviceOrdinal() + ")";
    }

    private static int type(INDArray a) {
        if (a.dataType() == DataType.FLOAT) {
            return ncclFloat32;
        }
        if (a.dataType() == DataType.DOUBLE) {
            return ncclDouble;
        }
        throw new IllegalArgumentException("NCCL sums float32 or float64 arrays, not " + a.dataType());
    }

    private static void check(int status, String what) {
        if (status != ncclSuccess) {
            throw new CudaException(what + ": " + ncclGetErrorString(status).getString() + " (" + status + ")");
        }
    }
}
