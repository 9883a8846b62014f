// DeepSeekMoE kernels of CudaOps (routing, sorting tokens by expert, gathering and combining expert rows):
// compiled by NVRTC like kernels.cu, once per element type (-DA4J_REAL=float or double). Semantics follow
// MoeCpuKernels (the CPU reference); routing arithmetic is done in double. Expert ids, permutations and offsets
// are int arrays. Written for clarity over speed: the per-row selection is serial in one lane, as k and the
// expert count are small (DeepSeek-V3: 8 of 256).

#define MAX_GROUPS 64

// One warp (blockDim.x == 32) per row. Scores s = sigmoid or softmax of the logits; lane 0 then masks the groups
// outside the topkGroup best (groupRank 1: a group's best biased score, 2: the sum of its two best), picks the k
// best of s + bias (the lower index among equals) unless replay gives the row's experts (top is then read; a
// row given -1 chooses), and writes the weights.
// valid null: every row is a token; invalid rows get expert -1, weight 0. Shared memory: 2 * experts doubles.
extern "C" __global__ void moe_route(const real* logits, const real* bias, const int* valid, int replay,
                                     real* scores, int* top, real* topW, int rows, int experts, int k, int sigmoid,
                                     int groups, int topkGroup, int groupRank, int norm, double scaling) {
    extern __shared__ acc moe_sm[];
    int r = blockIdx.x;
    if (r >= rows) return;
    int lane = threadIdx.x;
    acc* s = moe_sm;
    acc* c = moe_sm + experts;
    const real* l = logits + (i64)r * experts;
    if (sigmoid) {
        for (int e = lane; e < experts; e += 32) s[e] = 1.0 / (1.0 + exp(-(acc)l[e]));
    } else {
        acc m = NEG_INF;
        for (int e = lane; e < experts; e += 32) m = fmax(m, (acc)l[e]);
        m = warp_max(m);
        acc sum = 0;
        for (int e = lane; e < experts; e += 32) {
            acc v = exp((acc)l[e] - m);
            s[e] = v;
            sum += v;
        }
        sum = warp_sum(sum);
        for (int e = lane; e < experts; e += 32) s[e] /= sum;
    }
    for (int e = lane; e < experts; e += 32) {
        scores[(i64)r * experts + e] = (real)s[e];
        c[e] = s[e] + (bias ? (acc)bias[e] : 0.0);
    }
    __syncwarp();
    if (lane != 0) return;
    int* t = top + (i64)r * k;
    real* w = topW + (i64)r * k;
    if (valid && !valid[r]) {
        for (int j = 0; j < k; j++) {
            t[j] = -1;
            w[j] = (real)0;
        }
        return;
    }
    if (!replay || t[0] < 0) {
        if (groupRank != 0 && topkGroup < groups) {
            int per = experts / groups;
            acc gscore[MAX_GROUPS];
            int keep[MAX_GROUPS];
            for (int g = 0; g < groups; g++) {
                acc best = NEG_INF, second = NEG_INF;
                for (int e = g * per; e < (g + 1) * per; e++) {
                    if (c[e] > best) {
                        second = best;
                        best = c[e];
                    } else if (c[e] > second) {
                        second = c[e];
                    }
                }
                gscore[g] = groupRank == 2 ? best + second : best;
            }
            for (int j = 0; j < topkGroup; j++) {
                int best = -1;
                for (int g = 0; g < groups; g++) {
                    bool taken = false;
                    for (int q = 0; q < j; q++) taken |= keep[q] == g;
                    if (!taken && (best < 0 || gscore[g] > gscore[best])) best = g;
                }
                keep[j] = best;
            }
            for (int g = 0; g < groups; g++) {
                bool kept = false;
                for (int q = 0; q < topkGroup; q++) kept |= keep[q] == g;
                if (!kept) {
                    for (int e = g * per; e < (g + 1) * per; e++) c[e] = 0.0;
                }
            }
        }
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                bool taken = false;
                for (int q = 0; q < j; q++) taken |= t[q] == e;
                if (!taken && (best < 0 || c[e] > c[best])) best = e;
            }
            t[j] = best;
        }
    }
    acc sum = 0;
    for (int j = 0; j < k; j++) sum += s[t[j]];
    for (int j = 0; j < k; j++) {
        acc v = s[t[j]];
        w[j] = (real)((norm ? v / (sum + 1e-20) : v) * scaling);
    }
}

// The backward pass of moe_route, one warp per row: ds = dS (or 0) plus the top-k weights' gradient (lane 0),
// then through sigmoid or softmax into dL (overwritten). Shared memory: experts doubles.
extern "C" __global__ void moe_route_bwd(const real* scores, const int* top, const real* dW, const real* dS,
                                         real* dL, int rows, int experts, int k, int sigmoid, int norm,
                                         double scaling) {
    extern __shared__ acc moe_sm[];
    int r = blockIdx.x;
    if (r >= rows) return;
    int lane = threadIdx.x;
    acc* ds = moe_sm;
    const real* s = scores + (i64)r * experts;
    for (int e = lane; e < experts; e += 32) ds[e] = dS ? (acc)dS[(i64)r * experts + e] : 0.0;
    __syncwarp();
    const int* t = top + (i64)r * k;
    if (lane == 0 && t[0] >= 0) {
        acc sum = 0, gs = 0;
        for (int j = 0; j < k; j++) {
            acc g = (acc)dW[(i64)r * k + j] * scaling;
            acc sv = (acc)s[t[j]];
            sum += sv;
            gs += g * sv;
        }
        for (int j = 0; j < k; j++) {
            acc g = (acc)dW[(i64)r * k + j] * scaling;
            if (norm) {
                acc den = sum + 1e-20;
                ds[t[j]] += g / den - gs / (den * den);
            } else {
                ds[t[j]] += g;
            }
        }
    }
    __syncwarp();
    real* out = dL + (i64)r * experts;
    if (sigmoid) {
        for (int e = lane; e < experts; e += 32) {
            acc sv = (acc)s[e];
            out[e] = (real)(ds[e] * sv * (1.0 - sv));
        }
    } else {
        acc dot = 0;
        for (int e = lane; e < experts; e += 32) dot += ds[e] * (acc)s[e];
        dot = warp_sum(dot);
        for (int e = lane; e < experts; e += 32) out[e] = (real)((acc)s[e] * (ds[e] - dot));
    }
}

// Stable counting sort of the n (row, choice) pairs of top by expert, in ONE block of 1024 threads: thread t
// owns experts t, t + 1024, ...; the ids pass through shared memory in tiles of 1024, and each owner counts (then
// places) its experts' pairs in index order. order[slot] = pair, slotOf[pair] = slot (-1 for pairs with expert
// -1, whose order entries past the last slot are -1), offsets[experts + 1]. Shared memory: experts + 1 ints.
#define SORT_TILE 1024
extern "C" __global__ void moe_sort(const int* top, int n, int experts, int* order, int* slotOf, int* offsets) {
    __shared__ int tile[SORT_TILE];
    __shared__ int total;
    extern __shared__ int moe_cnt[];
    int tid = threadIdx.x, bd = blockDim.x;
    for (int e = tid; e < experts; e += bd) moe_cnt[e] = 0;
    for (int base = 0; base < n; base += SORT_TILE) {
        __syncthreads();
        int i = base + tid;
        tile[tid] = i < n ? top[i] : -1;
        __syncthreads();
        int m = min(SORT_TILE, n - base);
        for (int e = tid; e < experts; e += bd) {
            int cnt = 0;
            for (int q = 0; q < m; q++) cnt += tile[q] == e;
            moe_cnt[e] += cnt;
        }
    }
    __syncthreads();
    if (tid == 0) {
        int run = 0;
        for (int e = 0; e < experts; e++) {
            int cnt = moe_cnt[e];
            moe_cnt[e] = run;
            offsets[e] = run;
            run += cnt;
        }
        offsets[experts] = run;
        total = run;
    }
    for (int base = 0; base < n; base += SORT_TILE) {
        __syncthreads();
        int i = base + tid;
        int v = i < n ? top[i] : -1;
        tile[tid] = v;
        if (i < n && v < 0) slotOf[i] = -1;
        __syncthreads();
        int m = min(SORT_TILE, n - base);
        for (int e = tid; e < experts; e += bd) {
            int p = moe_cnt[e];
            for (int q = 0; q < m; q++) {
                if (tile[q] == e) {
                    order[p] = base + q;
                    slotOf[base + q] = p;
                    p++;
                }
            }
            moe_cnt[e] = p;
        }
    }
    __syncthreads();
    for (int i = total + tid; i < n; i += bd) order[i] = -1;
}

// dst[i, :] = w * src[order[i] / k, :] for i < slots, w = weight[order[i]] (weight null: 1).
extern "C" __global__ void moe_gather(const real* src, const int* order, int k, const real* weight, real* dst,
                                      i64 slots, int w) {
    GRID_STRIDE(i, slots * w) {
        i64 slot = i / w;
        int col = (int)(i - slot * w);
        int pair = order[slot];
        acc v = (acc)src[(i64)(pair / k) * w + col];
        dst[i] = (real)(weight ? v * (acc)weight[pair] : v);
    }
}

// dst[r, :] += sum_j w * src[slotOf[r * k + j], :] over j with slotOf >= 0, w = weight[r * k + j] (null: 1);
// each element adds its terms in ascending slot order, as MoeCpuKernels (deterministic, no atomics).
extern "C" __global__ void moe_combine(const real* src, const int* slotOf, const real* weight, real* dst, i64 rows,
                                       int k, int w) {
    GRID_STRIDE(i, rows * w) {
        i64 r = i / w;
        int col = (int)(i - r * w);
        const int* so = slotOf + r * k;
        acc a = (acc)dst[i];
        int last = -1;
        for (int t = 0; t < k; t++) {
            int j = -1;
            for (int q = 0; q < k; q++) {
                if (so[q] > last && (j < 0 || so[q] < so[j])) j = q;
            }
            if (j < 0) break;
            last = so[j];
            acc c = weight ? (acc)weight[r * k + j] : 1.0;
            a += c * (acc)src[(i64)last * w + col];
        }
        dst[i] = (real)a;
    }
}

// dW[p] = dOut[p / k, :] . src[slotOf[p], :] (0 where slotOf is -1), one warp per pair p < pairs.
extern "C" __global__ void moe_combine_wgrad(const real* dOut, const real* src, const int* slotOf, real* dW,
                                             i64 pairs, int k, int w) {
    i64 p = ((i64)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (p >= pairs) return;
    int slot = slotOf[p];
    acc s = 0;
    if (slot >= 0) {
        const real* a = dOut + (p / k) * w;
        const real* b = src + (i64)slot * w;
        for (int j = lane; j < w; j += 32) s += (acc)a[j] * (acc)b[j];
    }
    s = warp_sum(s);
    if (lane == 0) dW[p] = (real)s;
}
