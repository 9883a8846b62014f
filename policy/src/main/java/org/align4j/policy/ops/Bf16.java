package org.align4j.policy.ops;

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
}
