package org.align4j.policy.ops.cuda;

import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * kernels.cu (or another .cu file of this package, after common.cuh) compiled by NVRTC for one element type (float or double) and the device's architecture
 * (sm_90 on Hopper), loaded as a module; its kernels by name.
 */
final class KernelModule {
    enum K {
        embedding_fwd, embedding_bwd, rmsnorm_fwd, rmsnorm_bwd_dx, col_sum, add_bias, rope, regroup,
        causal_softmax, softmax_bwd, swiglu_fwd, swiglu_bwd, logprobs_fwd, logprobs_bwd, add_inplace, scale,
        sumsq_partial, nonfinite, adamw, write_kv, copy_cache_row, decode_attention, sample_rows, gather_heads,
        rope_slice, gather_rows, scatter_add_rows, gathered_row_dots, latent_decode_attention, dropout,
        decode_attention_split, decode_combine, flash_fwd, flash_bwd_dq, flash_bwd_dkdv,
        bf16_from_real, real_from_bf16, embedding_fwd_bf16
    }

    private final EnumMap<K, CUfunc_st> functions = new EnumMap<>(K.class);
    /** Kept so that the module (and its functions) is never collected. */
    private final CUmod_st module = new CUmod_st();

    KernelModule(String cType, int major, int minor) {
        this("kernels.cu", cType, major, minor);
        for (K k : K.values()) {
            functions.put(k, function(k.name()));
        }
    }

    /** Another source file of this package compiled the same way; its kernels are looked up with {@link #function}. */
    KernelModule(String resource, String cType, int major, int minor) {
        load(module, resource, cType, major, minor);
    }

    /** Compiles the resource (a .cu file beside this class) with NVRTC for one element type and loads it into module. */
    static void load(CUmod_st module, String resource, String cType, int major, int minor) {
        String src = compiledSource(resource);
        _nvrtcProgram prog = new _nvrtcProgram();
        nv(nvrtcCreateProgram(prog, new BytePointer(src), new BytePointer("align4j_" + resource.replace(".cu", "")
                + "_" + cType + ".cu"), 0, (PointerPointer) null, (PointerPointer) null), "nvrtcCreateProgram");
        try {
            String[] opts = {"--gpu-architecture=sm_" + major + minor, "-DA4J_REAL=" + cType, "--std=c++17"};
            int st = nvrtcCompileProgram(prog, opts.length, new PointerPointer(opts));
            if (st != NVRTC_SUCCESS) {
                throw new CudaException("NVRTC could not compile " + resource + " (" + cType + ", sm_" + major + minor
                        + "): " + nvrtcGetErrorString(st).getString() + "\n" + log(prog));
            }
            SizeTPointer size = new SizeTPointer(1);
            nv(nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize");
            BytePointer cubin = new BytePointer(size.get());
            nv(nvrtcGetCUBIN(prog, cubin), "nvrtcGetCUBIN");
            Gpu.drv(cuModuleLoadData(module, cubin), "cuModuleLoadData");
        } finally {
            nvrtcDestroyProgram(prog);
        }
    }

    static CUfunc_st function(CUmod_st module, String name) {
        CUfunc_st f = new CUfunc_st();
        Gpu.drv(cuModuleGetFunction(f, module, name), "cuModuleGetFunction " + name);
        return f;
    }

    CUfunc_st get(K k) {
        return functions.get(k);
    }

    /** The kernel of this name (looked up once per call: keep the result). */
    CUfunc_st function(String name) {
        return function(module, name);
    }

    private static String log(_nvrtcProgram prog) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtcGetProgramLogSize(prog, size) != NVRTC_SUCCESS || size.get() <= 1) {
            return "";
        }
        BytePointer log = new BytePointer(size.get());
        nvrtcGetProgramLog(prog, log);
        return log.getString();
    }

    private static void nv(int status, String what) {
        if (status != NVRTC_SUCCESS) {
            throw new CudaException(what + ": " + nvrtcGetErrorString(status).getString());
        }
    }

    static String source() {
        return source("kernels.cu");
    }

    /**
     * What NVRTC compiles for a .cu file: common.cuh (the types and block reductions every file uses) then the file,
     * its lines numbered as in the file so that compiler messages point at them.
     */
    static String compiledSource(String resource) {
        return source("common.cuh") + "\n#line 1 \"" + resource + "\"\n" + source(resource);
    }

    static String source(String resource) {
        try (InputStream in = KernelModule.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
