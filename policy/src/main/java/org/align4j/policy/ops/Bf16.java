package org.align4j.policy.ops;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * bfloat16 (bf16): the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). Conversions round to nearest,
 * ties to even, as PyTorch's {@code tensor.to(torch.bfloat16)} does; NaN stays NaN (quiet), and values past the
 * largest bf16 round to infinity.
 */
public final class Bf16 {
    private Bf16() {
    }

    /** The bf16 bits nearest to f. */
    public static short fromFloat(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 0x40); // NaN: keep the sign and payload's top bits, force quiet
        }
        u += 0x7fff + ((u >>> 16) & 1);
        return (short) (u >>> 16);
    }

    /** The float32 that the bf16 bits stand for (exact). */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** f rounded to the nearest bf16 value, held in a float32. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }

    /** Rounds every element of a contiguous float32 array to bf16 in place (its host copy). */
    public static void roundInPlace(INDArray a) {
        requireWholeFloatBuffer(a);
        FloatBuffer b = a.data().asNioFloat();
        int n = Math.toIntExact(a.length());
        if (b.limit() < n) {
            throw new IllegalStateException("the host buffer holds " + b.limit() + " of " + n + " elements");
        }
        for (int i = 0; i < n; i++) {
            b.put(i, round(b.get(i)));
        }
    }

    /**
     * Refuses an array that is not float32 or not the whole of its buffer (a view): what a weight held in bf16 must be,
     * since the backend converts and keeps whole buffers.
     */
    public static void requireWholeFloatBuffer(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("bf16 storage needs a float32 array, got " + a.dataType()
                    + " (bf16: true needs a float32 model)");
        }
        if (a.isView() || a.offset() != 0 || a.ordering() != 'c' || a.data().length() != a.length()) {
            throw new IllegalArgumentException("bf16 storage needs a contiguous array that is its whole buffer, got "
                    + a.shapeInfoToString());
        }
    }

    /** Refuses a weight that {@link Ops#loadBf16} cannot fill from source: not a whole float32 buffer, or another size. */
    public static void requireLoadable(INDArray weight, Bf16Source source) {
        requireWholeFloatBuffer(weight);
        if (weight.length() != source.elements()) {
            throw new IllegalArgumentException("a bf16 tensor of " + source.elements() + " values cannot fill a weight of "
                    + weight.length() + " elements " + weight.shapeInfoToString());
        }
    }

    /** A direct little-endian buffer for one chunk of {@link Bf16Source#CHUNK_ELEMENTS} bf16 values. */
    public static ByteBuffer chunkBuffer() {
        return ByteBuffer.allocateDirect(2 * Bf16Source.CHUNK_ELEMENTS).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Reads the chunk of source that starts at element offset (at most {@link Bf16Source#CHUNK_ELEMENTS} values, fewer
     * at the end) into chunk (cleared first); chunk then holds its bytes from position 0 to its limit, little-endian.
     */
    public static int readChunk(Bf16Source source, long offset, ByteBuffer chunk) {
        int len = (int) Math.min(Bf16Source.CHUNK_ELEMENTS, source.elements() - offset);
        chunk.clear().limit(2 * len);
        source.read(offset, chunk);
        if (chunk.hasRemaining()) {
            throw new IllegalStateException("a bf16 source left " + chunk.remaining() + " bytes of a chunk unread");
        }
        chunk.flip();
        return len;
    }

    /** host[at + i] = the float of the i-th bf16 value of chunk (little-endian, from 0 to its limit): exact. */
    public static void widen(ByteBuffer chunk, FloatBuffer host, int at) {
        ByteBuffer le = chunk.order() == ByteOrder.LITTLE_ENDIAN ? chunk : chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int len = le.limit() / 2;
        for (int i = 0; i < len; i++) {
            host.put(at + i, toFloat(le.getShort(2 * i)));
        }
    }
}
