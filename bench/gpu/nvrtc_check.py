"""Compiles every CUDA kernel file with NVRTC exactly as CudaOps does (common.cuh first, -DA4J_REAL=float/double,
sm_90, C++17), without a GPU: a pre-flight check before a GPU session, for what nvcc accepts but NVRTC might not
(NVRTC has no headers, only its built-in declarations). NVRTC comes from the pip wheel nvidia-cuda-nvrtc:

    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --platform manylinux2014_x86_64 -d /tmp/nvrtc "nvidia-cuda-nvrtc==13.0.*"
    (cd /tmp/nvrtc && unzip -q -o nvidia_cuda_nvrtc-*.whl -d w)
    LD_LIBRARY_PATH=/tmp/nvrtc/w/nvidia/cu13/lib python3 bench/gpu/nvrtc_check.py

Prints each file's status and cubin size; exits 1 when one does not compile.
"""
import ctypes
import glob
import os
import sys

KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "../../policy/src/main/resources/org/align4j/policy/ops/cuda")
# each file and the element types CudaOps compiles it for
FILES = [("kernels.cu", ["float", "double"]), ("sampling.cu", ["float", "double"]), ("moe.cu", ["float", "double"]),
         ("flash_mma.cu", ["float"]), ("decode_gqa.cu", ["float", "double"])]


def nvrtc():
    for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") + ["/usr/local/cuda/lib64"]:
        found = glob.glob(os.path.join(d, "libnvrtc.so.*")) if d else []
        if found:
            return ctypes.CDLL(sorted(found)[0])
    sys.exit("libnvrtc.so not found on LD_LIBRARY_PATH (see this file's docstring)")


def main():
    lib = nvrtc()
    common = open(os.path.join(KERNELS, "common.cuh")).read()
    failed = 0
    for name, types in FILES:
        src = common + '\n#line 1 "' + name + '"\n' + open(os.path.join(KERNELS, name)).read()
        for t in types:
            prog = ctypes.c_void_p()
            if lib.nvrtcCreateProgram(ctypes.byref(prog), src.encode(), name.encode(), 0, None, None) != 0:
                sys.exit("nvrtcCreateProgram failed")
            opts = [b"--gpu-architecture=sm_90", ("-DA4J_REAL=" + t).encode(), b"--std=c++17"]
            status = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
            n = ctypes.c_size_t()
            lib.nvrtcGetProgramLogSize(prog, ctypes.byref(n))
            log = ctypes.create_string_buffer(n.value)
            lib.nvrtcGetProgramLog(prog, log)
            size = ctypes.c_size_t()
            if status == 0:
                lib.nvrtcGetCUBINSize(prog, ctypes.byref(size))
            print(f"{name} ({t}): {'ok' if status == 0 else 'FAILED'}, cubin {size.value} bytes")
            if status != 0:
                print(log.value.decode())
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
