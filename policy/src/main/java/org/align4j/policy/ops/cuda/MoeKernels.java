package org.align4j.policy.ops.cuda;

import java.util.EnumMap;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;

/** moe.cu (the DeepSeekMoE kernels) compiled for one element type, like {@link KernelModule} for kernels.cu. */
final class MoeKernels {
    enum K { moe_route, moe_route_bwd, moe_sort, moe_gather, moe_combine, moe_combine_wgrad }

    /** moe.cu's bound on n_group (a lane's local arrays). */
    static final int MAX_GROUPS = 64;
    /** moe_sort's block (its tile of expert ids). */
    static final int SORT_THREADS = 1024;

    private final EnumMap<K, CUfunc_st> functions = new EnumMap<>(K.class);
    /** Kept so that the module (and its functions) is never collected. */
    private final CUmod_st module = new CUmod_st();

    MoeKernels(String cType, int major, int minor) {
        KernelModule.load(module, "moe.cu", cType, major, minor);
        for (K k : K.values()) {
            functions.put(k, KernelModule.function(module, k.name()));
        }
    }

    CUfunc_st get(K k) {
        return functions.get(k);
    }
}
