// A CPU emulation of the little of CUDA that align4j's kernels use, to run a kernel file on a machine without a GPU
// (the *_emulated.cpp harnesses include this, then the kernel source as kernel.cu). One block runs at a time, each
// of its threads a std::thread; __syncthreads is a barrier of the block; __shfl_xor_sync and mma.sync exchange
// through a warp's slots between two barriers of the warp; mma.sync m16n8k16 (bf16 in, float32 accumulation) is
// computed from the PTX ISA's fragment layouts, so a kernel that misplaces a fragment element gets wrong sums here as
// on the GPU. Dynamic shared memory is filled with a pattern before each block, so a kernel that reads what it did
// not write gets garbage here too; the driver (EmulatedKernelsTest) rewrites a kernel file's `extern __shared__ T
// name[];` into `T* name = (T*)a4j_emulated_dynamic_shared();` before including it. Atomics take one lock.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#define A4J_EMULATE 1
#ifndef A4J_REAL
#define A4J_REAL float
#endif
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static // blocks run one at a time, so a static local is the block's shared memory
#define __launch_bounds__(n)
#define __align__(n) __attribute__((aligned(n)))

struct Dim3 {
    unsigned x = 0, y = 0, z = 0;
};
thread_local Dim3 threadIdx, blockIdx;
Dim3 blockDim, gridDim;

struct Warp {
    std::barrier<> bar{32};
    uint64_t slot[32];
    unsigned a[32][4], b[32][2];
};
static std::barrier<>* blockBarrier;
static std::vector<unsigned char> dynamicShared;
unsigned char* a4j_emulated_dynamic_shared() { return dynamicShared.data(); }
thread_local Warp* warp;
thread_local int lane;

static void __syncthreads() { blockBarrier->arrive_and_wait(); }

template <class T>
static T __shfl_xor_sync(unsigned, T v, int offset) {
    static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    warp->slot[lane] = bits;
    warp->bar.arrive_and_wait();
    bits = warp->slot[lane ^ offset];
    warp->bar.arrive_and_wait();
    T out;
    std::memcpy(&out, &bits, sizeof(T));
    return out;
}

static double __longlong_as_double(long long x) {
    double d;
    std::memcpy(&d, &x, 8);
    return d;
}
static float __int_as_float(int x) {
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}
static float __uint_as_float(unsigned x) {
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}
static unsigned __float_as_uint(float x) {
    unsigned u;
    std::memcpy(&u, &x, 4);
    return u;
}
using std::exp;
using std::exp2f;
using std::fmax;
using std::fmaxf;
using std::log2f;
static int min(int a, int b) { return a < b ? a : b; }

// Atomics: one lock for all (blocks run one at a time; only a block's threads race).
static std::mutex atomicLock;
template <class T>
static T atomicAdd(T* p, T v) {
    std::lock_guard<std::mutex> g(atomicLock);
    T old = *p;
    *p = old + v;
    return old;
}
static int atomicMin(int* p, int v) {
    std::lock_guard<std::mutex> g(atomicLock);
    int old = *p;
    *p = old < v ? old : v;
    return old;
}

static float bf16ToFloat(unsigned h) { return __int_as_float((int)((h & 0xffffu) << 16)); }

void fm_mma_emulated(float* d, const unsigned* a, unsigned b0, unsigned b1) {
    for (int i = 0; i < 4; i++) {
        warp->a[lane][i] = a[i];
    }
    warp->b[lane][0] = b0;
    warp->b[lane][1] = b1;
    warp->bar.arrive_and_wait();
    float A[16][16], B[16][8];
    for (int l = 0; l < 32; l++) {
        int g = l >> 2, c = 2 * (l & 3);
        const unsigned* r = warp->a[l];
        A[g][c] = bf16ToFloat(r[0]);
        A[g][c + 1] = bf16ToFloat(r[0] >> 16);
        A[g + 8][c] = bf16ToFloat(r[1]);
        A[g + 8][c + 1] = bf16ToFloat(r[1] >> 16);
        A[g][c + 8] = bf16ToFloat(r[2]);
        A[g][c + 9] = bf16ToFloat(r[2] >> 16);
        A[g + 8][c + 8] = bf16ToFloat(r[3]);
        A[g + 8][c + 9] = bf16ToFloat(r[3] >> 16);
        B[c][g] = bf16ToFloat(warp->b[l][0]);
        B[c + 1][g] = bf16ToFloat(warp->b[l][0] >> 16);
        B[c + 8][g] = bf16ToFloat(warp->b[l][1]);
        B[c + 9][g] = bf16ToFloat(warp->b[l][1] >> 16);
    }
    warp->bar.arrive_and_wait(); // every lane has read the slots before any lane's next mma writes them
    int g = lane >> 2, c = 2 * (lane & 3);
    int rows[4] = {g, g, g + 8, g + 8}, cols[4] = {c, c + 1, c, c + 1};
    for (int e = 0; e < 4; e++) {
        float s = 0.f;
        for (int k = 0; k < 16; k++) {
            s += A[rows[e]][k] * B[k][cols[e]];
        }
        d[e] += s;
    }
}

/** Runs kernel over the grid, one block after another, with sharedBytes of dynamic shared memory. */
static void launch(int gx, int gy, int threads, const std::function<void()>& kernel, size_t sharedBytes = 0) {
    gridDim = {(unsigned)gx, (unsigned)gy, 1};
    blockDim = {(unsigned)threads, 1, 1};
    for (int by = 0; by < gy; by++) {
        for (int bx = 0; bx < gx; bx++) {
            dynamicShared.assign(sharedBytes + 16, 0xCD);
            std::barrier<> bar(threads);
            blockBarrier = &bar;
            std::vector<Warp> warps(threads / 32);
            std::vector<std::thread> ts;
            for (int t = 0; t < threads; t++) {
                ts.emplace_back([&, t] {
                    threadIdx = {(unsigned)t, 0, 0};
                    blockIdx = {(unsigned)bx, (unsigned)by, 0};
                    warp = &warps[t / 32];
                    lane = t % 32;
                    kernel();
                });
            }
            for (auto& th : ts) {
                th.join();
            }
        }
    }
}

