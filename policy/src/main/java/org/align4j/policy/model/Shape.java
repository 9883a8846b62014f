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

    INDArray zeros(long... shape) {
        return Nd4j.create(dtype, shape);
    }
}
