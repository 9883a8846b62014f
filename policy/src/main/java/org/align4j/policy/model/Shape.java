package org.align4j.policy.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The dimensions of one padded batch, and the allocation of buffers for it. */
final class Shape {
    final int batch;
    final int seq;
    final int rows;
    final DataType dtype;

    Shape(int batch, int seq, DataType dtype) {
        this.batch = batch;
        this.seq = seq;
        this.rows = batch * seq;
        this.dtype = dtype;
    }

    private final java.util.List<INDArray> allocated = new java.util.ArrayList<>();

    INDArray zeros(long... shape) {
        INDArray a = Nd4j.create(dtype, shape);
        allocated.add(a);
        return a;
    }

    /** An INT32 buffer (expert ids, permutations), released with the others. */
    INDArray ints(long... shape) {
        INDArray a = Nd4j.create(DataType.INT, shape);
        allocated.add(a);
        return a;
    }

    /** Bytes of the buffers allocated for this shape and not released. */
    long allocatedBytes() {
        long n = 0;
        for (INDArray a : allocated) {
            n += a.length() * a.dataType().width();
        }
        return n;
    }

    /**
     * Frees every buffer allocated for this shape now. Off-heap memory behind ND4J arrays is otherwise
     * returned only when the garbage collector finds the arrays, which a small Java heap may not do before
     * the machine runs out of memory (seen here: 21.7 GB with batches of many widths).
     */
    void release() {
        for (INDArray a : allocated) {
            if (!a.wasClosed()) {
                a.close();
            }
        }
        allocated.clear();
    }
}
