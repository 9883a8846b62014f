package org.align4j.policy.ops.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;

/**
 * decode_gqa.cu (a decoding step of attention with each kv head's query heads in one block, so the cache is read
 * once per kv head) compiled for one element type; its launch limits. kernels.cu's decode_attention serves what does
 * not fit (a group over 8 heads, or shared memory over 48 KiB: float64 with long heads).
 */
final class GroupedDecode {
    /** Threads of a block (decode_gqa.cu's DG_THREADS). */
    static final int THREADS = 128;
    private static final int CHUNK = 32;
    private static final int MAX_GROUP = 8;
    private static final int MAX_OUTPUTS = THREADS * 16;
    private static final long MAX_SHARED = 48 << 10;

    /** Kept so that the module (and its kernel) is never collected. */
    private final CUmod_st module = new CUmod_st();
    private final CUfunc_st kernel;

    GroupedDecode(String cType, int major, int minor) {
        KernelModule.load(module, "decode_gqa.cu", cType, major, minor);
        kernel = KernelModule.function(module, "decode_attention_gqa");
    }

    CUfunc_st kernel() {
        return kernel;
    }

    /** Dynamic shared memory of one block: q of the group, a chunk of K (rows padded by one) and V, the scores. */
    static long sharedBytes(int group, int headDim, int elementBytes) {
        return (long) elementBytes * ((long) group * headDim + CHUNK * (2L * headDim + 1) + (long) group * CHUNK
                + 3L * MAX_GROUP);
    }

    static boolean fits(int group, int headDim, long sharedBytes) {
        return group <= MAX_GROUP && (long) group * headDim <= MAX_OUTPUTS && sharedBytes <= MAX_SHARED;
    }
}
