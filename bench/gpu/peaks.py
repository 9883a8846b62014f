"""The GPU's measured ceilings that the benchmark goals are stated against (issue 15): the bf16 GEMM rate
(model FLOPs utilisation = 6 x params x tokens/s over it) and the device-to-device copy bandwidth (a decoding
step's bound = bytes of weights + KV cache read per step over it). Prints one JSON object."""
import json
import time

import torch


def best_of(fn, repeats=20):
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    dev = torch.device("cuda")
    n = 8192
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    c = torch.empty(n, n, device=dev, dtype=torch.bfloat16)
    gemm_s = best_of(lambda: torch.matmul(a, b, out=c))
    del a, b, c
    src = torch.empty(2**30, device=dev, dtype=torch.uint8)
    dst = torch.empty_like(src)
    copy_s = best_of(lambda: dst.copy_(src))
    print(json.dumps({
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "bf16_gemm_tflops": round(2 * n**3 / gemm_s / 1e12, 1),
        # A copy reads and writes each byte: bandwidth counts both, as memory-bound kernels' bytes do.
        "copy_gb_per_s": round(2 * 2**30 / copy_s / 1e9, 1),
    }))


if __name__ == "__main__":
    main()
