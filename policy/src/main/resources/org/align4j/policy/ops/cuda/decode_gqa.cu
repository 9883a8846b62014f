// One decoding step of attention with grouped-query heads read together: one block per (row, kv head) and split of
// the cached positions, the kv head's `group` query heads in the same block, so every cached key and value is read
// from memory once per step (kernels.cu's decode_attention, one block per query head, reads it `group` times: six
// times for Qwen2.5-1.5B). Same contract as decode_attention (q [batch, heads * hd], caches [batch, kvHeads, cap,
// hd], the first lengths[b] positions of row b, rows of length 0 untouched); with gridDim.y splits each block writes
// its partial (max, sum of weights, weighted values) for decode_combine as decode_attention_split does.
//
// Per chunk of 32 positions: the block stages K and V in shared memory (coalesced rows, K's rows padded by one so
// that 32 threads reading one column of 32 rows hit 32 banks), computes the group x 32 scores (a thread per score),
// one warp per head updates that head's running max and sum (FlashAttention's online softmax, lane = position), and
// each thread accumulates its (head, dim) outputs. Accumulation in the element type (float32 for float arrays).
// Shared memory: (group * hd + 32 * (2 * hd + 1) + group * 32 + 3 * DG_MAX_GROUP) elements, at most 48 KiB
// (CudaOps falls back to decode_attention otherwise).

#define DG_CHUNK 32
#define DG_THREADS 128
#define DG_MAX_GROUP 8
#define DG_MAX_OUT 16 // outputs per thread: group * hd <= DG_THREADS * DG_MAX_OUT = 2048

__device__ __forceinline__ real dg_warp_max(real v) {
    for (int o = 16; o > 0; o >>= 1) {
        real t = __shfl_xor_sync(0xffffffffu, v, o);
        v = t > v ? t : v;
    }
    return v;
}

__device__ __forceinline__ real dg_warp_sum(real v) {
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

extern "C" __global__ void __launch_bounds__(DG_THREADS) decode_attention_gqa(const real* q, const real* kc,
        const real* vc, const int* lengths, real* out, acc* part, int heads, int kvHeads, int group, int cap, int hd,
        double scale, int chunk) {
    extern __shared__ __align__(16) unsigned char dg_smem[];
    real* qs = (real*)dg_smem;           // [group, hd]
    real* ks = qs + group * hd;          // [DG_CHUNK, hd + 1]
    real* vs = ks + DG_CHUNK * (hd + 1); // [DG_CHUNK, hd]
    real* ps = vs + DG_CHUNK * hd;       // [group, DG_CHUNK]: scores, then weights
    real* corr = ps + group * DG_CHUNK;  // [group]: the chunk's rescaling of each head's sums
    real* ms = corr + DG_MAX_GROUP;      // [group]: running max
    real* ls = ms + DG_MAX_GROUP;        // [group]: running sum of weights
    int b = blockIdx.x / kvHeads, kv = blockIdx.x % kvHeads;
    int len = lengths[b];
    if (len <= 0) {
        return;
    }
    int split = blockIdx.y, splits = gridDim.y;
    int j0 = split * chunk, j1 = min(len, j0 + chunk);
    int tid = threadIdx.x, lane = tid & 31, w = tid >> 5;
    int gh = group * hd;
    real sc = (real)scale;
    const real* qp = q + ((i64)b * heads + (i64)kv * group) * hd; // the group's query heads are consecutive
    for (int i = tid; i < gh; i += DG_THREADS) {
        qs[i] = qp[i];
    }
    if (tid < group) {
        ms[tid] = (real)NEG_INF;
        ls[tid] = 0;
    }
    real o[DG_MAX_OUT];
#pragma unroll
    for (int i = 0; i < DG_MAX_OUT; i++) {
        o[i] = 0;
    }
    i64 cb = ((i64)b * kvHeads + kv) * cap * hd;
    for (int c0 = j0; c0 < j1; c0 += DG_CHUNK) {
        int n = min(DG_CHUNK, j1 - c0);
        __syncthreads(); // q and the statistics are in place; the previous chunk is consumed
        for (int i = tid; i < n * hd; i += DG_THREADS) {
            int c = i / hd, e = i % hd;
            ks[c * (hd + 1) + e] = kc[cb + (i64)(c0 + c) * hd + e];
            vs[c * hd + e] = vc[cb + (i64)(c0 + c) * hd + e];
        }
        __syncthreads();
        for (int p = tid; p < group * DG_CHUNK; p += DG_THREADS) {
            int h = p / DG_CHUNK, c = p % DG_CHUNK;
            real s = (real)NEG_INF;
            if (c < n) {
                const real* qh = qs + h * hd;
                const real* kr = ks + c * (hd + 1);
                real d = 0;
                for (int e = 0; e < hd; e++) {
                    d += qh[e] * kr[e];
                }
                s = d * sc;
            }
            ps[p] = s;
        }
        __syncthreads();
        for (int h = w; h < group; h += DG_THREADS / 32) {
            real s = ps[h * DG_CHUNK + lane];
            real mold = ms[h];
            real mx = dg_warp_max(s); // finite: position c0 is always in the chunk
            real mnew = mold > mx ? mold : mx;
            real p = exp(s - mnew);
            real sum = dg_warp_sum(p);
            ps[h * DG_CHUNK + lane] = p;
            if (lane == 0) {
                real cr = exp(mold - mnew);
                corr[h] = cr;
                ms[h] = mnew;
                ls[h] = ls[h] * cr + sum;
            }
        }
        __syncthreads();
#pragma unroll
        for (int i = 0; i < DG_MAX_OUT; i++) {
            int idx = tid + i * DG_THREADS;
            if (idx < gh) {
                int h = idx / hd, e = idx % hd;
                const real* ph = ps + h * DG_CHUNK;
                real a = o[i] * corr[h];
                for (int c = 0; c < n; c++) {
                    a += ph[c] * vs[c * hd + e];
                }
                o[i] = a;
            }
        }
    }
    __syncthreads();
#pragma unroll
    for (int i = 0; i < DG_MAX_OUT; i++) {
        int idx = tid + i * DG_THREADS;
        if (idx < gh) {
            int h = idx / hd, e = idx % hd;
            i64 row = (i64)b * heads + (i64)kv * group + h;
            if (splits == 1) {
                out[row * hd + e] = o[i] / ls[h];
            } else {
                part[(row * splits + split) * (hd + 2) + 2 + e] = (acc)o[i];
            }
        }
    }
    if (splits > 1 && tid < group) {
        // an empty split (j0 >= len) leaves max -inf and sum 0, which decode_combine skips
        acc* pp = part + (((i64)b * heads + (i64)kv * group + tid) * splits + split) * (hd + 2);
        pp[0] = (acc)ms[tid];
        pp[1] = (acc)ls[tid];
    }
}
