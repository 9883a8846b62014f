// Fused causal attention on the tensor cores (FlashAttention-2's tiling), the bf16 path of CudaOps's
// flashAttentionForward/Backward (bf16 products on, float32 arrays; head dims (q/k, v) of (64, 64), (128, 128) or
// DeepSeek's latent attention's (192, 128)). Same contract as kernels.cu's flash_fwd / flash_bwd_dq /
// flash_bwd_dkdv, which stay the float32/float64 reference: q [batch * seq, heads * hd], k [batch * seq, kvHeads *
// hd], v [batch * seq, kvHeads * hdv], out [batch * seq, heads * hdv], query head h reads kv head h / (heads /
// kvHeads), keys j <= t < lengths[b]; lse [batch * heads * seq] the natural log-sum-exp of the scaled scores;
// padded queries get 0.
//
// Products run as mma.sync m16n8k16 (bf16 inputs rounded from the float32 arrays, float32 accumulation): the same
// precision as PyTorch's bf16 autocast attention. The softmax, its statistics and every sum stay float32.
// Fragment layouts (PTX ISA, "mma.m16n8k16", lane = 4 * g + tg):
//   A (16 x 16, row-major), four .b32 registers of two bf16 each: {A[g][c], A[g][c+1]}, {A[g+8][c], A[g+8][c+1]},
//     {A[g][c+8], A[g][c+9]}, {A[g+8][c+8], A[g+8][c+9]} with c = 2 * tg;
//   B (16 x 8, k x n), two registers: {B[c][g], B[c+1][g]}, {B[c+8][g], B[c+9][g]};
//   C/D (16 x 8, float): {C[g][c], C[g][c+1], C[g+8][c], C[g+8][c+1]}.
// So an S = Q K^T accumulator over two adjacent 8-key tiles is already the A operand of P V (FlashAttention-2's
// register reuse), and B operands read rows of K (or V) in shared memory as 32-bit pairs when the k dimension runs
// along a row, or as two 16-bit loads when it runs down a column.
//
// Blocks: forward and dq: 4 warps, 16 query rows each (64 per block), over key tiles of 64 (forward) or 32 (dq)
// staged in shared memory as bf16; dk/dv: 2 warps, 16 key rows each, over query tiles of 32 of one query head, the
// GQA group's heads summed after by fm_group_sum (no atomics: the results do not depend on scheduling). Each
// kernel is a template over (HD, HDV), the head dims of q/k and of v, instantiated under extern "C" names.

#define FM_LOG2E 1.4426950408889634f
#define FM_LN2 0.6931471805599453f
#define FM_NEG_INF (-__int_as_float(0x7f800000))

__device__ __forceinline__ unsigned fm_bf16(float x) {
    unsigned u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return (u >> 16) | 0x40u; // NaN stays NaN
    }
    u += 0x7fffu + ((u >> 16) & 1u); // round to nearest even
    return u >> 16;
}

/** Two floats as one register of two bf16, lo in the low half (the lower column or row index). */
__device__ __forceinline__ unsigned fm_pack(float lo, float hi) {
    return fm_bf16(lo) | (fm_bf16(hi) << 16);
}

/** Two bf16 of shared memory (one above the other in a column) as one register. */
__device__ __forceinline__ unsigned fm_pair(const unsigned short* lo, const unsigned short* hi) {
    return (unsigned)*lo | ((unsigned)*hi << 16);
}

__device__ __forceinline__ unsigned fm_word(const unsigned short* p) {
    return *(const unsigned*)p;
}

#ifdef A4J_EMULATE
void fm_mma_emulated(float* d, const unsigned* a, unsigned b0, unsigned b1);
#endif

/** d (16 x 8) += a (16 x 16) * b (16 x 8). */
__device__ __forceinline__ void fm_mma(float* d, const unsigned* a, unsigned b0, unsigned b1) {
#ifdef A4J_EMULATE
    fm_mma_emulated(d, a, b0, b1);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

/** d += a * B where B's k dimension runs along a shared-memory row: the 16 values from row + 0 .. 15. */
__device__ __forceinline__ void fm_mma_row(float* d, const unsigned* a, const unsigned short* row) {
    fm_mma(d, a, fm_word(row), fm_word(row + 8));
}

/** d += a * B where B's k dimension runs down a shared-memory column of the given row pitch. */
__device__ __forceinline__ void fm_mma_col(float* d, const unsigned* a, const unsigned short* col, int pitch) {
    fm_mma(d, a, fm_pair(col, col + pitch), fm_pair(col + 8 * pitch, col + 9 * pitch));
}

/**
 * The A operand (16 x 16) of k-step kk made from accumulators acc[2 kk] and acc[2 kk + 1] (two 16 x 8 tiles side
 * by side): FlashAttention-2's reuse of the score registers as the probabilities' fragment.
 */
__device__ __forceinline__ void fm_accumulators_as_a(const float (*acc)[4], int kk, unsigned* a) {
    a[0] = fm_pack(acc[2 * kk][0], acc[2 * kk][1]);
    a[1] = fm_pack(acc[2 * kk][2], acc[2 * kk][3]);
    a[2] = fm_pack(acc[2 * kk + 1][0], acc[2 * kk + 1][1]);
    a[3] = fm_pack(acc[2 * kk + 1][2], acc[2 * kk + 1][3]);
}

/** The A operand (16 x 16) of a tile in shared memory; lane points at this lane's row g, column 2 tg of it. */
__device__ __forceinline__ void fm_rows_as_a(const unsigned short* lane, int pitch, unsigned* a) {
    a[0] = fm_word(lane);
    a[1] = fm_word(lane + 8 * pitch);
    a[2] = fm_word(lane + 8);
    a[3] = fm_word(lane + 8 * pitch + 8);
}

/**
 * out (DN tiles of 16 x 8) += A B, the product FlashAttention-2 takes after a softmax: A (16 x 8 KT) is held in
 * accumulators (the probabilities or their gradients, rounded to bf16 as fragments), and B (8 KT x 8 DN) is a tile in
 * shared memory with its k dimension running down the columns (keys or queries as rows), read from row 0.
 */
template <int KT, int DN>
__device__ __forceinline__ void fm_accumulators_times_tile(float (*out)[4], const float (*a)[4],
                                                           const unsigned short* tile, int pitch, int g, int tg) {
#pragma unroll
    for (int kk = 0; kk < KT / 2; kk++) {
        unsigned fa[4];
        fm_accumulators_as_a(a, kk, fa);
        const unsigned short* r = tile + (kk * 16 + 2 * tg) * pitch + g;
#pragma unroll
        for (int n = 0; n < DN; n++) {
            fm_mma_col(out[n], fa, r + n * 8, pitch);
        }
    }
}

/** Sum over the four lanes that share a row of an accumulator (lanes 4g .. 4g+3). */
__device__ __forceinline__ float fm_quad_sum(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

__device__ __forceinline__ float fm_quad_max(float v) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

/** Row `row` (columns c, c+1) of a [rows, stride] float array as bf16 pair; 0 past `valid` rows. */
__device__ __forceinline__ unsigned fm_load_pair(const float* base, i64 stride, int row, int valid, int c) {
    if (row >= valid) {
        return 0u;
    }
    const float* p = base + (i64)row * stride + c;
    return fm_pack(p[0], p[1]);
}

/**
 * Stages rows [r0, r0 + rows) of a [*, stride] float array (columns 0 .. HD) into shared memory as bf16 with
 * row pitch HD + 8 (the padding spreads a fragment's rows over distinct banks); rows at or past `valid`
 * become zeros. The whole block takes part.
 */
template <int HD>
__device__ __forceinline__ void fm_stage(unsigned short* dst, const float* src, i64 stride, int r0, int rows,
                                         int valid) {
    for (int i = threadIdx.x; i < rows * (HD / 2); i += blockDim.x) {
        int r = i / (HD / 2), c = (i % (HD / 2)) * 2;
        *(unsigned*)&dst[r * (HD + 8) + c] = fm_load_pair(src, stride, r0 + r, valid, c);
    }
}

#define FM_Q_ROWS 64
#define FM_FWD_KEYS 64
#define FM_DQ_KEYS 32
#define FM_DKV_KEYS 32
#define FM_DKV_QUERIES 32

template <int HD, int HDV>
__device__ void fm_forward(const float* q, const float* k, const float* v, const int* lengths, float* out,
                           float* lse, int seq, int heads, int kvHeads, float scale) {
    constexpr int KS = HD / 16, DN = HDV / 8, P = HD + 8, PV = HDV + 8, NT = FM_FWD_KEYS / 8;
    __shared__ __align__(16) unsigned short ks[FM_FWD_KEYS * P];
    __shared__ __align__(16) unsigned short vs[FM_FWD_KEYS * PV];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, g = lane >> 2, tg = lane & 3;
    int bh = blockIdx.y, b = bh / heads, h = bh % heads, kvh = h / (heads / kvHeads);
    int len = min(lengths[b], seq);
    int q0 = (gridDim.x - 1 - blockIdx.x) * FM_Q_ROWS; // the longest rows first
    int ra = q0 + w * 16 + g, rb = ra + 8;
    i64 qs = (i64)heads * HD, kvs = (i64)kvHeads * HD, vst = (i64)kvHeads * HDV, os = (i64)heads * HDV;
    const float* qb = q + (i64)b * seq * qs + (i64)h * HD;
    const float* kb = k + (i64)b * seq * kvs + (i64)kvh * HD;
    const float* vb = v + (i64)b * seq * vst + (i64)kvh * HDV;
    float sl = scale * FM_LOG2E; // scores in log2 units: exp2 instead of exp

    unsigned qa[KS][4];
#pragma unroll
    for (int s = 0; s < KS; s++) {
        int c = s * 16 + 2 * tg;
        qa[s][0] = fm_load_pair(qb, qs, ra, len, c);
        qa[s][1] = fm_load_pair(qb, qs, rb, len, c);
        qa[s][2] = fm_load_pair(qb, qs, ra, len, c + 8);
        qa[s][3] = fm_load_pair(qb, qs, rb, len, c + 8);
    }
    float o[DN][4];
#pragma unroll
    for (int n = 0; n < DN; n++) {
        o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
    }
    float ma = FM_NEG_INF, mb = FM_NEG_INF, la = 0.f, lb = 0.f;
    int keyEnd = min(len, q0 + FM_Q_ROWS);
    int warpLast = q0 + w * 16 + 15;
    for (int k0 = 0; k0 < keyEnd; k0 += FM_FWD_KEYS) {
        __syncthreads(); // the previous tile is consumed
        fm_stage<HD>(ks, kb, kvs, k0, FM_FWD_KEYS, len);
        fm_stage<HDV>(vs, vb, vst, k0, FM_FWD_KEYS, len);
        __syncthreads();
        if (k0 > warpLast || q0 + w * 16 >= len) {
            continue; // every key of the tile is after this warp's rows, or its rows are padding
        }
        float sc[NT][4];
#pragma unroll
        for (int n = 0; n < NT; n++) {
            sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.f;
            const unsigned short* kr = ks + (n * 8 + g) * P + 2 * tg;
#pragma unroll
            for (int s = 0; s < KS; s++) {
                fm_mma_row(sc[n], qa[s], kr + s * 16);
            }
        }
        float mxa = FM_NEG_INF, mxb = FM_NEG_INF;
#pragma unroll
        for (int n = 0; n < NT; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int key = k0 + n * 8 + 2 * tg + (e & 1);
                int row = e < 2 ? ra : rb;
                float x = (key <= row && key < len) ? sc[n][e] * sl : FM_NEG_INF;
                sc[n][e] = x;
                if (e < 2) {
                    mxa = fmaxf(mxa, x);
                } else {
                    mxb = fmaxf(mxb, x);
                }
            }
        }
        mxa = fm_quad_max(mxa);
        mxb = fm_quad_max(mxb);
        float na = fmaxf(ma, mxa), nb = fmaxf(mb, mxb);
        float baseA = na == FM_NEG_INF ? 0.f : na, baseB = nb == FM_NEG_INF ? 0.f : nb; // rows with no key yet
        float ca = exp2f(ma - baseA), cb = exp2f(mb - baseB);
        ma = na;
        mb = nb;
        float sa = 0.f, sb = 0.f;
#pragma unroll
        for (int n = 0; n < NT; n++) {
            sc[n][0] = exp2f(sc[n][0] - baseA);
            sc[n][1] = exp2f(sc[n][1] - baseA);
            sc[n][2] = exp2f(sc[n][2] - baseB);
            sc[n][3] = exp2f(sc[n][3] - baseB);
            sa += sc[n][0] + sc[n][1];
            sb += sc[n][2] + sc[n][3];
        }
        la = la * ca + sa;
        lb = lb * cb + sb;
#pragma unroll
        for (int n = 0; n < DN; n++) {
            o[n][0] *= ca;
            o[n][1] *= ca;
            o[n][2] *= cb;
            o[n][3] *= cb;
        }
        fm_accumulators_times_tile<NT, DN>(o, sc, vs, PV, g, tg); // O += P V
    }
    la = fm_quad_sum(la);
    lb = fm_quad_sum(lb);
    float* ob = out + (i64)b * seq * os + (i64)h * HDV;
#pragma unroll
    for (int half = 0; half < 2; half++) {
        int row = half == 0 ? ra : rb;
        if (row >= seq) {
            continue;
        }
        bool live = row < len;
        float inv = live ? 1.f / (half == 0 ? la : lb) : 0.f;
        float* orow = ob + (i64)row * os + 2 * tg;
#pragma unroll
        for (int n = 0; n < DN; n++) {
            orow[n * 8] = o[n][2 * half] * inv;
            orow[n * 8 + 1] = o[n][2 * half + 1] * inv;
        }
        if (tg == 0) {
            lse[(i64)bh * seq + row] = live ? ((half == 0 ? ma : mb) + log2f(half == 0 ? la : lb)) * FM_LN2 : 0.f;
        }
    }
}

#define FM_FORWARD(NAME, HD, HDV)                                                                              \
    extern "C" __global__ void __launch_bounds__(128) NAME(const float* q, const float* k, const float* v,        \
            const int* lengths, float* out, float* lse, int seq, int heads, int kvHeads, float scale) {          \
        fm_forward<HD, HDV>(q, k, v, lengths, out, lse, seq, heads, kvHeads, scale);                              \
    }
FM_FORWARD(fm_fwd64, 64, 64)
FM_FORWARD(fm_fwd128, 128, 128)
FM_FORWARD(fm_fwd192_128, 192, 128)


// D[b, h, t] = rowsum(dOut * out) over the head's hd (the value head dim) columns (FlashAttention-2's preprocessing), float32 from the
// float32 arrays; one warp per (row, head), 0 for padded rows.
extern "C" __global__ void fm_bwd_rowdot(const float* out, const float* dout, const int* lengths, float* d, int seq,
                                         int heads, int hd, int batch) {
    int lane = threadIdx.x & 31;
    i64 item = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); // (b * seq + t) * heads + h
    if (item >= (i64)batch * seq * heads) {
        return;
    }
    int h = (int)(item % heads);
    i64 bt = item / heads;
    int b = (int)(bt / seq), t = (int)(bt % seq);
    float s = 0.f;
    if (t < min(lengths[b], seq)) {
        const float* o = out + bt * heads * hd + (i64)h * hd;
        const float* go = dout + bt * heads * hd + (i64)h * hd;
        for (int e = lane; e < hd; e += 32) {
            s += o[e] * go[e];
        }
    }
    for (int off = 16; off > 0; off >>= 1) {
        s += __shfl_xor_sync(0xffffffffu, s, off);
    }
    if (lane == 0) {
        d[((i64)b * heads + h) * seq + t] = s;
    }
}

// dq = scale * sum_j P_tj (dP_tj - D_t) k_j with P = exp(scale q.k - lse) and dP = dOut_t . v_j recomputed per key
// tile; same block layout as the forward.
template <int HD, int HDV>
__device__ void fm_backward_dq(const float* q, const float* k, const float* v, const float* lse, const float* dsum,
                               const float* dout, const int* lengths, float* dq, int seq, int heads, int kvHeads,
                               float scale) {
    constexpr int KS = HD / 16, KSV = HDV / 16, DN = HD / 8, P = HD + 8, PV = HDV + 8, NT = FM_DQ_KEYS / 8;
    __shared__ __align__(16) unsigned short ks[FM_DQ_KEYS * P];
    __shared__ __align__(16) unsigned short vs[FM_DQ_KEYS * PV];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, g = lane >> 2, tg = lane & 3;
    int bh = blockIdx.y, b = bh / heads, h = bh % heads, kvh = h / (heads / kvHeads);
    int len = min(lengths[b], seq);
    int q0 = (gridDim.x - 1 - blockIdx.x) * FM_Q_ROWS;
    int ra = q0 + w * 16 + g, rb = ra + 8;
    i64 qs = (i64)heads * HD, kvs = (i64)kvHeads * HD, vst = (i64)kvHeads * HDV, os = (i64)heads * HDV;
    const float* qb = q + (i64)b * seq * qs + (i64)h * HD;
    const float* gb = dout + (i64)b * seq * os + (i64)h * HDV;
    const float* kb = k + (i64)b * seq * kvs + (i64)kvh * HD;
    const float* vb = v + (i64)b * seq * vst + (i64)kvh * HDV;
    float sl = scale * FM_LOG2E;

    unsigned qa[KS][4], ga[KSV][4];
#pragma unroll
    for (int s = 0; s < KS; s++) {
        int c = s * 16 + 2 * tg;
        qa[s][0] = fm_load_pair(qb, qs, ra, len, c);
        qa[s][1] = fm_load_pair(qb, qs, rb, len, c);
        qa[s][2] = fm_load_pair(qb, qs, ra, len, c + 8);
        qa[s][3] = fm_load_pair(qb, qs, rb, len, c + 8);
    }
#pragma unroll
    for (int s = 0; s < KSV; s++) {
        int c = s * 16 + 2 * tg;
        ga[s][0] = fm_load_pair(gb, os, ra, len, c);
        ga[s][1] = fm_load_pair(gb, os, rb, len, c);
        ga[s][2] = fm_load_pair(gb, os, ra, len, c + 8);
        ga[s][3] = fm_load_pair(gb, os, rb, len, c + 8);
    }
    i64 li = (i64)bh * seq;
    float lA = ra < len ? lse[li + ra] * FM_LOG2E : 0.f, lB = rb < len ? lse[li + rb] * FM_LOG2E : 0.f;
    float dA = ra < len ? dsum[li + ra] : 0.f, dB = rb < len ? dsum[li + rb] : 0.f;
    float acc_[DN][4];
#pragma unroll
    for (int n = 0; n < DN; n++) {
        acc_[n][0] = acc_[n][1] = acc_[n][2] = acc_[n][3] = 0.f;
    }
    int keyEnd = min(len, q0 + FM_Q_ROWS);
    int warpLast = q0 + w * 16 + 15;
    for (int k0 = 0; k0 < keyEnd; k0 += FM_DQ_KEYS) {
        __syncthreads();
        fm_stage<HD>(ks, kb, kvs, k0, FM_DQ_KEYS, len);
        fm_stage<HDV>(vs, vb, vst, k0, FM_DQ_KEYS, len);
        __syncthreads();
        if (k0 > warpLast || q0 + w * 16 >= len) {
            continue;
        }
        float sc[NT][4], dp[NT][4];
#pragma unroll
        for (int n = 0; n < NT; n++) {
            sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.f;
            dp[n][0] = dp[n][1] = dp[n][2] = dp[n][3] = 0.f;
            const unsigned short* kr = ks + (n * 8 + g) * P + 2 * tg;
            const unsigned short* vr = vs + (n * 8 + g) * PV + 2 * tg;
#pragma unroll
            for (int s = 0; s < KS; s++) {
                fm_mma_row(sc[n], qa[s], kr + s * 16);
            }
#pragma unroll
            for (int s = 0; s < KSV; s++) {
                fm_mma_row(dp[n], ga[s], vr + s * 16);
            }
        }
#pragma unroll
        for (int n = 0; n < NT; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int key = k0 + n * 8 + 2 * tg + (e & 1);
                int row = e < 2 ? ra : rb;
                bool live = key <= row && key < len && row < len;
                float p = live ? exp2f(sc[n][e] * sl - (e < 2 ? lA : lB)) : 0.f;
                sc[n][e] = p * (dp[n][e] - (e < 2 ? dA : dB)); // dS
            }
        }
        fm_accumulators_times_tile<NT, DN>(acc_, sc, ks, P, g, tg); // dQ += dS K
    }
    float* ob = dq + (i64)b * seq * qs + (i64)h * HD;
#pragma unroll
    for (int half = 0; half < 2; half++) {
        int row = half == 0 ? ra : rb;
        if (row >= seq) {
            continue;
        }
        float f = row < len ? scale : 0.f;
        float* orow = ob + (i64)row * qs + 2 * tg;
#pragma unroll
        for (int n = 0; n < DN; n++) {
            orow[n * 8] = acc_[n][2 * half] * f;
            orow[n * 8 + 1] = acc_[n][2 * half + 1] * f;
        }
    }
}

#define FM_DQ(NAME, HD, HDV)                                                                                   \
    extern "C" __global__ void __launch_bounds__(128) NAME(const float* q, const float* k, const float* v,        \
            const float* lse, const float* dsum, const float* dout, const int* lengths, float* dq, int seq,        \
            int heads, int kvHeads, float scale) {                                                                \
        fm_backward_dq<HD, HDV>(q, k, v, lse, dsum, dout, lengths, dq, seq, heads, kvHeads, scale);              \
    }
FM_DQ(fm_bwd_dq64, 64, 64)
FM_DQ(fm_bwd_dq128, 128, 128)
FM_DQ(fm_bwd_dq192_128, 192, 128)


// dk_j = scale * sum_t dS_tj q_t and dv_j = sum_t P_tj dOut_t for the key rows of one block and ONE query head
// (blockIdx.y = b * heads + h), over query tiles from the block's first key to the sequence's end. The block's own
// K and V rows stay in shared memory as the A operands (K_w q^T and V_w dOut^T give S^T and dP^T directly).
// Results go to dkh/dvh [batch * seq, outHeads * hd] at head h (outHeads = heads; fm_group_sum adds a GQA group's
// heads into dk/dv), or straight to dk/dv at head kvh when each kv head has one query head (outHeads = kvHeads).
template <int HD, int HDV>
__device__ void fm_backward_dkdv(const float* q, const float* k, const float* v, const float* lse, const float* dsum,
                                 const float* dout, const int* lengths, float* dkh, float* dvh, int seq, int heads,
                                 int kvHeads, int outHeads, float scale) {
    constexpr int KS = HD / 16, KSV = HDV / 16, DN = HD / 8, DNV = HDV / 8, P = HD + 8, PV = HDV + 8,
                  NT = FM_DKV_QUERIES / 8;
    __shared__ __align__(16) unsigned short ks[FM_DKV_KEYS * P];
    __shared__ __align__(16) unsigned short vs[FM_DKV_KEYS * PV];
    __shared__ __align__(16) unsigned short qsm[FM_DKV_QUERIES * P];
    __shared__ __align__(16) unsigned short gsm[FM_DKV_QUERIES * PV];
    __shared__ float lsm[FM_DKV_QUERIES], dsm[FM_DKV_QUERIES];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, g = lane >> 2, tg = lane & 3;
    int bh = blockIdx.y, b = bh / heads, h = bh % heads, kvh = h / (heads / kvHeads);
    int len = min(lengths[b], seq);
    int j0 = blockIdx.x * FM_DKV_KEYS; // the longest key rows (the first) are the first blocks
    int ka = j0 + w * 16 + g, kb_ = ka + 8;
    i64 qs = (i64)heads * HD, kvs = (i64)kvHeads * HD, vst = (i64)kvHeads * HDV, os = (i64)heads * HDV;
    const float* qb = q + (i64)b * seq * qs + (i64)h * HD;
    const float* gb = dout + (i64)b * seq * os + (i64)h * HDV;
    float sl = scale * FM_LOG2E;
    fm_stage<HD>(ks, k + (i64)b * seq * kvs + (i64)kvh * HD, kvs, j0, FM_DKV_KEYS, len);
    fm_stage<HDV>(vs, v + (i64)b * seq * vst + (i64)kvh * HDV, vst, j0, FM_DKV_KEYS, len);
    float dk[DN][4], dv[DNV][4];
#pragma unroll
    for (int n = 0; n < DN; n++) {
        dk[n][0] = dk[n][1] = dk[n][2] = dk[n][3] = 0.f;
    }
#pragma unroll
    for (int n = 0; n < DNV; n++) {
        dv[n][0] = dv[n][1] = dv[n][2] = dv[n][3] = 0.f;
    }
    i64 li = (i64)bh * seq;
    const unsigned short* kw = ks + (w * 16 + g) * P + 2 * tg; // this lane's A-fragment rows of K_w and V_w
    const unsigned short* vw = vs + (w * 16 + g) * PV + 2 * tg;
    for (int t0 = j0 / FM_DKV_QUERIES * FM_DKV_QUERIES; t0 < len; t0 += FM_DKV_QUERIES) {
        __syncthreads();
        fm_stage<HD>(qsm, qb, qs, t0, FM_DKV_QUERIES, len);
        fm_stage<HDV>(gsm, gb, os, t0, FM_DKV_QUERIES, len);
        for (int i = threadIdx.x; i < FM_DKV_QUERIES; i += blockDim.x) {
            int t = t0 + i;
            lsm[i] = t < len ? lse[li + t] * FM_LOG2E : 0.f;
            dsm[i] = t < len ? dsum[li + t] : 0.f;
        }
        __syncthreads();
        if (t0 + FM_DKV_QUERIES - 1 < j0 + w * 16 || j0 + w * 16 >= len) {
            continue; // every query of the tile is before this warp's keys, or its keys are padding
        }
        float st[NT][4], dpt[NT][4]; // S^T and dP^T: rows are keys, columns queries
#pragma unroll
        for (int n = 0; n < NT; n++) {
            st[n][0] = st[n][1] = st[n][2] = st[n][3] = 0.f;
            dpt[n][0] = dpt[n][1] = dpt[n][2] = dpt[n][3] = 0.f;
            const unsigned short* qr = qsm + (n * 8 + g) * P + 2 * tg;
            const unsigned short* gr = gsm + (n * 8 + g) * PV + 2 * tg;
#pragma unroll
            for (int s = 0; s < KS; s++) {
                unsigned a[4];
                fm_rows_as_a(kw + s * 16, P, a);
                fm_mma_row(st[n], a, qr + s * 16);
            }
#pragma unroll
            for (int s = 0; s < KSV; s++) {
                unsigned a[4];
                fm_rows_as_a(vw + s * 16, PV, a);
                fm_mma_row(dpt[n], a, gr + s * 16);
            }
        }
#pragma unroll
        for (int n = 0; n < NT; n++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int ti = n * 8 + 2 * tg + (e & 1), t = t0 + ti;
                int key = e < 2 ? ka : kb_;
                bool live = key <= t && t < len && key < len;
                float p = live ? exp2f(st[n][e] * sl - lsm[ti]) : 0.f;
                st[n][e] = p;
                dpt[n][e] = p * (dpt[n][e] - dsm[ti]); // dS^T
            }
        }
        fm_accumulators_times_tile<NT, DNV>(dv, st, gsm, PV, g, tg); // dV += P^T dO
        fm_accumulators_times_tile<NT, DN>(dk, dpt, qsm, P, g, tg);  // dK += dS^T Q (scaled when written)
    }
    int oh = outHeads == heads ? h : kvh;
#pragma unroll
    for (int half = 0; half < 2; half++) {
        int key = half == 0 ? ka : kb_;
        if (key >= seq) {
            continue;
        }
        bool live = key < len;
        i64 at = ((i64)b * seq + key) * outHeads * HD + (i64)oh * HD + 2 * tg;
#pragma unroll
        for (int n = 0; n < DN; n++) {
            dkh[at + n * 8] = live ? dk[n][2 * half] * scale : 0.f;
            dkh[at + n * 8 + 1] = live ? dk[n][2 * half + 1] * scale : 0.f;
        }
        i64 av = ((i64)b * seq + key) * outHeads * HDV + (i64)oh * HDV + 2 * tg;
#pragma unroll
        for (int n = 0; n < DNV; n++) {
            dvh[av + n * 8] = live ? dv[n][2 * half] : 0.f;
            dvh[av + n * 8 + 1] = live ? dv[n][2 * half + 1] : 0.f;
        }
    }
}

#define FM_DKDV(NAME, HD, HDV)                                                                                 \
    extern "C" __global__ void __launch_bounds__(64) NAME(const float* q, const float* k, const float* v,         \
            const float* lse, const float* dsum, const float* dout, const int* lengths, float* dkh, float* dvh,    \
            int seq, int heads, int kvHeads, int outHeads, float scale) {                                         \
        fm_backward_dkdv<HD, HDV>(q, k, v, lse, dsum, dout, lengths, dkh, dvh, seq, heads, kvHeads, outHeads,    \
                                  scale);                                                                         \
    }
FM_DKDV(fm_bwd_dkdv64, 64, 64)
FM_DKDV(fm_bwd_dkdv128, 128, 128)
FM_DKDV(fm_bwd_dkdv192_128, 192, 128)


// dst[r, kv * width + e] = sum over the group's query heads g of src[r, (kv * group + g) * width + e]: a GQA group's
// per-head dk (width hd) or dv (width hdv) into the kv head's.
extern "C" __global__ void fm_group_sum(const float* src, float* dst, i64 rows, int kvHeads, int group, int width) {
    i64 n = rows * kvHeads * width;
    GRID_STRIDE(i, n) {
        i64 r = i / ((i64)kvHeads * width);
        int c = (int)(i % ((i64)kvHeads * width));
        int kv = c / width, e = c % width;
        const float* sp = src + r * kvHeads * group * width + (i64)kv * group * width + e;
        float a = 0.f;
        for (int gi = 0; gi < group; gi++) {
            a += sp[(i64)gi * width];
        }
        dst[i] = a;
    }
}
