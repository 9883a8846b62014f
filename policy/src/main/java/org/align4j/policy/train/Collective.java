package org.align4j.policy.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The collective operations of data-parallel training over {@link #size()} ranks (one trainer each, the same
 * model on every rank): every rank calls the same operations in the same order, and each call returns on a rank
 * only once every rank has made it. An implementation supplies {@link #allGather(byte[])}; the others have
 * defaults built on it, which an implementation with a faster path (NCCL on the GPU) overrides.
 * <p>
 * Sums are taken in rank order on every rank, so every rank gets bitwise the same result (the optimizer steps
 * then keep the ranks' weights identical).
 */
public interface Collective {

    /** This rank, 0 ..< size. Rank 0 alone writes the run directory. */
    int rank();

    /** The number of ranks. */
    int size();

    /** Every rank's bytes, in rank order (mine at index {@link #rank()}). */
    List<byte[]> allGather(byte[] mine);

    /** Waits until every rank has called it. */
    default void barrier() {
        allGather(new byte[0]);
    }

    /** The bytes of rank {@code root} on every rank (others pass what they like, e.g. an empty array). */
    default byte[] broadcast(byte[] data, int root) {
        return allGather(rank() == root ? data : new byte[0]).get(root);
    }

    /** Replaces values with the element-wise sum over the ranks. */
    default void allReduceSum(double[] values) {
        ByteBuffer out = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        out.asDoubleBuffer().put(values);
        List<byte[]> all = allGather(out.array());
        java.util.Arrays.fill(values, 0);
        for (byte[] b : all) {
            java.nio.DoubleBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
            for (int i = 0; i < values.length; i++) {
                values[i] += in.get(i);
            }
        }
    }

    /** Replaces values with the element-wise sum over the ranks (summed in float32, rank by rank). */
    default void allReduceSum(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(values);
        List<byte[]> all = allGather(out.array());
        java.util.Arrays.fill(values, 0);
        for (byte[] b : all) {
            java.nio.FloatBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int i = 0; i < values.length; i++) {
                values[i] += in.get(i);
            }
        }
    }

    /** The sum of one number over the ranks. */
    default double sum(double value) {
        double[] v = {value};
        allReduceSum(v);
        return v[0];
    }

    /**
     * Replaces each array (all of one data type, float or double, contiguous) with its sum over the ranks. This
     * default packs them into one host buffer (one collective call for all of them); a device implementation
     * reduces them where they live.
     */
    default void allReduceSum(List<INDArray> arrays, Ops ops) {
        if (arrays.isEmpty()) {
            return;
        }
        long total = 0;
        for (INDArray a : arrays) {
            total += a.length();
        }
        int n = Math.toIntExact(total);
        boolean dbl = arrays.get(0).dataType() == DataType.DOUBLE;
        double[] d = dbl ? new double[n] : null;
        float[] f = dbl ? null : new float[n];
        int at = 0;
        for (INDArray a : arrays) {
            ops.toHost(a);
            int len = Math.toIntExact(a.length());
            for (int i = 0; i < len; i++) {
                if (dbl) {
                    d[at + i] = a.data().getDouble(a.offset() + i);
                } else {
                    f[at + i] = a.data().getFloat(a.offset() + i);
                }
            }
            at += len;
        }
        if (dbl) {
            allReduceSum(d);
        } else {
            allReduceSum(f);
        }
        int from = 0;
        for (INDArray a : arrays) {
            int len = Math.toIntExact(a.length());
            int start = from;
            ops.editOnHost(() -> {
                for (int i = 0; i < len; i++) {
                    if (dbl) {
                        a.data().put(a.offset() + i, d[start + i]);
                    } else {
                        a.data().put(a.offset() + i, f[start + i]);
                    }
                }
            }, a);
            from += len;
        }
    }

    /**
     * Rank {@code root}'s values of the arrays on every rank (as {@link #allReduceSum(List, Ops)}: one call for
     * all of them).
     */
    default void broadcast(List<INDArray> arrays, int root, Ops ops) {
        if (arrays.isEmpty()) {
            return;
        }
        boolean dbl = arrays.get(0).dataType() == DataType.DOUBLE;
        int width = dbl ? 8 : 4;
        long total = 0;
        for (INDArray a : arrays) {
            total += a.length();
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(total * width)).order(ByteOrder.LITTLE_ENDIAN);
        if (rank() == root) {
            for (INDArray a : arrays) {
                ops.toHost(a);
                for (long i = 0; i < a.length(); i++) {
                    if (dbl) {
                        buf.putDouble(a.data().getDouble(a.offset() + i));
                    } else {
                        buf.putFloat(a.data().getFloat(a.offset() + i));
                    }
                }
            }
        }
        ByteBuffer in = ByteBuffer.wrap(broadcast(rank() == root ? buf.array() : new byte[0], root))
                .order(ByteOrder.LITTLE_ENDIAN);
        if (rank() != root) {
            for (INDArray a : arrays) {
                ops.editOnHost(() -> {
                    for (long i = 0; i < a.length(); i++) {
                        if (dbl) {
                            a.data().put(a.offset() + i, in.getDouble());
                        } else {
                            a.data().put(a.offset() + i, in.getFloat());
                        }
                    }
                }, a);
            }
        }
    }

    /** Whether this rank writes the run directory (rank 0). */
    default boolean writes() {
        return rank() == 0;
    }

    /** The one rank of a run that is not distributed: every operation returns its input. */
    Collective SINGLE = new Collective() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public List<byte[]> allGather(byte[] mine) {
            return List.of(mine);
        }

        @Override
        public void allReduceSum(double[] values) {
        }

        @Override
        public void allReduceSum(float[] values) {
        }

        @Override
        public void allReduceSum(List<INDArray> arrays, Ops ops) {
        }

        @Override
        public void broadcast(List<INDArray> arrays, int root, Ops ops) {
        }

        @Override
        public String toString() {
            return "one rank";
        }
    };
}
