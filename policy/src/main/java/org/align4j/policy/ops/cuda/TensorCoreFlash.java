package org.align4j.policy.ops.cuda;

import java.util.EnumMap;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;

/**
 * flash_mma.cu (fused causal attention on the tensor cores, bf16 products with float32 accumulation) compiled for
 * float32 arrays; its launch geometry. kernels.cu's flash kernels remain the float32/float64 path and the reference.
 */
final class TensorCoreFlash {
    enum K {
        fm_fwd64, fm_fwd128, fm_fwd192_128, fm_bwd_rowdot, fm_bwd_dq64, fm_bwd_dq128, fm_bwd_dq192_128, fm_bwd_dkdv64,
        fm_bwd_dkdv128, fm_bwd_dkdv192_128, fm_group_sum
    }

    /** Threads of a forward or dq block: 4 warps of 16 query rows (flash_mma.cu's FM_Q_ROWS = 64). */
    static final int THREADS = 128;
    /** Threads of a dk/dv block: 2 warps of 16 key rows (FM_DKV_KEYS = 32). */
    static final int KEY_THREADS = 64;
    private static final int QUERY_ROWS = 64;
    private static final int KEY_ROWS = 32;

    private final EnumMap<K, CUfunc_st> functions = new EnumMap<>(K.class);
    /** Kept so that the module (and its functions) is never collected. */
    private final CUmod_st module = new CUmod_st();

    TensorCoreFlash(int major, int minor) {
        KernelModule.load(module, "flash_mma.cu", "float", major, minor);
        for (K k : K.values()) {
            functions.put(k, KernelModule.function(module, k.name()));
        }
    }

    /**
     * The head sizes (queries and keys, values) the kernels are instantiated for, their fragments being arrays sized
     * at compile time: 64/64 (Qwen2.5-0.5B), 128/128 (most models), 192/128 (DeepSeek-V2/V3's latent attention).
     */
    static boolean supports(int headDim, int valueDim) {
        return (headDim == 64 && valueDim == 64) || (headDim == 128 && valueDim == 128)
                || (headDim == 192 && valueDim == 128);
    }

    static int queryBlocks(int seq) {
        return (seq + QUERY_ROWS - 1) / QUERY_ROWS;
    }

    static int keyBlocks(int seq) {
        return (seq + KEY_ROWS - 1) / KEY_ROWS;
    }

    CUfunc_st get(K k) {
        return functions.get(k);
    }

    CUfunc_st forward(int headDim) {
        return get(headDim == 64 ? K.fm_fwd64 : headDim == 128 ? K.fm_fwd128 : K.fm_fwd192_128);
    }

    CUfunc_st dq(int headDim) {
        return get(headDim == 64 ? K.fm_bwd_dq64 : headDim == 128 ? K.fm_bwd_dq128 : K.fm_bwd_dq192_128);
    }

    CUfunc_st dkdv(int headDim) {
        return get(headDim == 64 ? K.fm_bwd_dkdv64 : headDim == 128 ? K.fm_bwd_dkdv128 : K.fm_bwd_dkdv192_128);
    }
}
