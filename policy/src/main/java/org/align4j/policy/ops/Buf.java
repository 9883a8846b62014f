package org.align4j.policy.ops;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access to a contiguous ND4J array's host memory, for the CPU kernels only. Two final
 * subclasses (float and double) keep call sites bimorphic, which the JIT inlines; arithmetic is done in
 * double either way.
 */
abstract class Buf {
    abstract double get(int i);

    abstract void set(int i, double v);

    final void add(int i, double v) {
        set(i, get(i) + v);
    }

    /** dst[0..n) = this[from..from+n): one bulk copy, so that kernels loop over plain arrays. */
    abstract void read(int from, double[] dst, int n);

    /** this[from..from+n) = src[0..n). */
    abstract void write(int from, double[] src, int n);

    /** dst[0..n) = this[from..from+n) without widening, for a float32 array (a float64 one refuses). */
    void read(int from, float[] dst, int n) {
        throw new UnsupportedOperationException("float64 array read as float32");
    }

    static Buf of(INDArray a) {
        requireContiguous(a);
        int off = Math.toIntExact(a.offset());
        if (a.dataType() == DataType.FLOAT) {
            return new F32(a.data().asNioFloat(), off);
        }
        if (a.dataType() == DataType.DOUBLE) {
            return new F64(a.data().asNioDouble(), off);
        }
        throw new IllegalArgumentException("unsupported data type " + a.dataType() + " (float32 or float64)");
    }

    static void requireContiguous(INDArray a) {
        if (a.ordering() != 'c') {
            throw new IllegalArgumentException("array must be C-ordered: " + a.shapeInfoToString());
        }
        if (!isContiguous(a)) {
            throw new IllegalArgumentException("array must be contiguous: " + a.shapeInfoToString());
        }
    }

    /** Whether a is C-ordered with no gaps between its elements (a row range of a matrix is; a column range is not). */
    static boolean isContiguous(INDArray a) {
        if (a.ordering() != 'c') {
            return false;
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expect = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expect) {
                return false;
            }
            expect *= shape[d];
        }
        return true;
    }

    static final class F32 extends Buf {
        private final FloatBuffer b;
        private final int off;

        F32(FloatBuffer b, int off) {
            this.b = b;
            this.off = off;
        }

        @Override
        double get(int i) {
            return b.get(off + i);
        }

        @Override
        void set(int i, double v) {
            b.put(off + i, (float) v);
        }

        private static final ThreadLocal<float[]> TMP = ThreadLocal.withInitial(() -> new float[1024]);

        private static float[] tmp(int n) {
            float[] t = TMP.get();
            if (t.length < n) {
                t = new float[Math.max(n, t.length * 2)];
                TMP.set(t);
            }
            return t;
        }

        @Override
        void read(int from, float[] dst, int n) {
            b.get(off + from, dst, 0, n);
        }

        @Override
        void read(int from, double[] dst, int n) {
            float[] t = tmp(n);
            b.get(off + from, t, 0, n);
            for (int i = 0; i < n; i++) {
                dst[i] = t[i];
            }
        }

        @Override
        void write(int from, double[] src, int n) {
            float[] t = tmp(n);
            for (int i = 0; i < n; i++) {
                t[i] = (float) src[i];
            }
            b.put(off + from, t, 0, n);
        }
    }

    static final class F64 extends Buf {
        private final DoubleBuffer b;
        private final int off;

        F64(DoubleBuffer b, int off) {
            this.b = b;
            this.off = off;
        }

        @Override
        double get(int i) {
            return b.get(off + i);
        }

        @Override
        void set(int i, double v) {
            b.put(off + i, v);
        }

        @Override
        void read(int from, double[] dst, int n) {
            b.get(off + from, dst, 0, n);
        }

        @Override
        void write(int from, double[] src, int n) {
            b.put(off + from, src, 0, n);
        }
    }
}
