// Kernels of CudaOps: compiled at run time by NVRTC for the device's architecture, once with -DA4J_REAL=float
// and once with -DA4J_REAL=double (same kernel names in two modules). Semantics follow CpuOps exactly (which
// arrays are overwritten and which accumulated); reductions accumulate in double, as CpuOps does, so the
// float32 results agree with the CPU backend to rounding, and the float64 ones to a few ulps.
// common.cuh (types, reductions) comes first; no headers: NVRTC provides exp, log, sqrt, sincos without includes.

extern "C" __global__ void embedding_fwd(const int* ids, const real* table, real* out, i64 n, int d) {
    GRID_STRIDE(i, n * d) {
        i64 r = i / d;
        out[i] = table[(i64)ids[r] * d + (i - r * d)];
    }
}

// Repeated ids add into the same row: atomics (the order of float additions is not fixed).
extern "C" __global__ void embedding_bwd(const int* ids, const real* dout, real* dtable, i64 n, int d) {
    GRID_STRIDE(i, n * d) {
        i64 r = i / d;
        atomicAdd(&dtable[(i64)ids[r] * d + (i - r * d)], dout[i]);
    }
}

// One block per row.
extern "C" __global__ void rmsnorm_fwd(const real* x, const real* w, real* out, real* rstd, int d, double eps) {
    __shared__ acc sh[33];
    i64 base = (i64)blockIdx.x * d;
    acc ss = 0;
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        acc v = x[base + j];
        ss += v * v;
    }
    ss = block_sum(ss, sh);
    acc s = 1.0 / sqrt(ss / d + eps);
    if (threadIdx.x == 0) rstd[blockIdx.x] = (real)s;
    for (int j = threadIdx.x; j < d; j += blockDim.x) out[base + j] = (real)((acc)x[base + j] * s * (acc)w[j]);
}

// dx += s * g * w - x * s^3 / d * sum_k g_k w_k x_k, one block per row (dw is col_sum's job).
extern "C" __global__ void rmsnorm_bwd_dx(const real* g, const real* x, const real* w, const real* rstd, real* dx,
                                          int d) {
    __shared__ acc sh[33];
    i64 base = (i64)blockIdx.x * d;
    acc s = rstd[blockIdx.x];
    acc dot = 0;
    for (int j = threadIdx.x; j < d; j += blockDim.x) dot += (acc)g[base + j] * (acc)w[j] * (acc)x[base + j];
    dot = block_sum(dot, sh);
    acc c = dot * s * s * s / d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        dx[base + j] = (real)((acc)dx[base + j] + (s * (acc)g[base + j] * (acc)w[j] - (acc)x[base + j] * c));
    }
}

// out[j] += sum over rows r of a[r, j] (times b[r, j] * s[r] when b is given): bias and norm-gain gradients.
// Block (32, 8): 32 columns, rows split over threadIdx.y and over blockIdx.y in chunks of rowsPerBlock;
// each chunk's column sums are added with one atomic per column.
extern "C" __global__ void col_sum(const real* a, const real* b, const real* s, real* out, int n, int d,
                                   int rowsPerBlock) {
    __shared__ acc sh[8][33];
    int j = blockIdx.x * 32 + threadIdx.x;
    int r0 = blockIdx.y * rowsPerBlock;
    int r1 = min(n, r0 + rowsPerBlock);
    acc sum = 0;
    if (j < d) {
        for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
            acc v = a[(i64)r * d + j];
            if (b) v *= (acc)b[(i64)r * d + j] * (acc)s[r];
            sum += v;
        }
    }
    sh[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && j < d) {
        for (int k = 1; k < blockDim.y; k++) sum += sh[k][threadIdx.x];
        atomicAdd(&out[j], (real)sum);
    }
}

extern "C" __global__ void add_bias(real* y, const real* b, i64 n, int d) {
    GRID_STRIDE(i, n) y[i] = (real)((acc)y[i] + (acc)b[i % d]);
}

// In place on x [rows, heads, 2 * half]; the angle pos * invFreq is formed in double, as RopeTable does, and
// cos/sin are multiplied by the table's scale (YaRN's attention factor; 1 otherwise).
extern "C" __global__ void rope(real* x, const int* pos, const double* invf, i64 rows, int heads, int half,
                                int inverse, double scale) {
    GRID_STRIDE(i, rows * heads * half) {
        int k = (int)(i % half);
        i64 rh = i / half;
        i64 r = rh / heads;
        double sn, cs;
        sincos((double)pos[r] * invf[k], &sn, &cs);
        sn *= scale;
        cs *= scale;
        if (inverse) sn = -sn;
        i64 base = rh * 2 * half;
        acc u = x[base + k];
        acc v = x[base + k + half];
        x[base + k] = (real)(u * cs - v * sn);
        x[base + k + half] = (real)(v * cs + u * sn);
    }
}

// rows [batch, seq, kvHeads * group, hd] <-> grouped [batch * kvHeads, group * seq, hd].
extern "C" __global__ void regroup(real* rows, real* grouped, int seq, int kvHeads, int group, int hd,
                                   i64 total, int toGrouped) {
    int heads = kvHeads * group;
    GRID_STRIDE(i, total) {
        int j = (int)(i % hd);
        i64 q = i / hd;
        int h = (int)(q % heads);
        i64 bt = q / heads;
        int t = (int)(bt % seq);
        i64 b = bt / seq;
        int kv = h / group, g = h % group;
        i64 dst = (((b * kvHeads + kv) * group + g) * seq + t) * hd + j;
        if (toGrouped) grouped[dst] = rows[i];
        else rows[i] = grouped[dst];
    }
}

// One block per row of scores [batch * kvHeads, group * seq, seq]; row r is query position r % seq.
extern "C" __global__ void causal_softmax(real* s, int seq, double scale) {
    __shared__ acc sh[33];
    i64 row = blockIdx.x;
    int t = (int)(row % seq);
    real* p = s + row * seq;
    acc mx = NEG_INF;
    for (int j = threadIdx.x; j <= t; j += blockDim.x) mx = fmax(mx, (acc)p[j] * scale);
    mx = block_max(mx, sh);
    acc sum = 0;
    for (int j = threadIdx.x; j <= t; j += blockDim.x) {
        acc e = exp((acc)p[j] * scale - mx);
        p[j] = (real)e;
        sum += e;
    }
    sum = block_sum(sum, sh);
    acc inv = 1.0 / sum;
    for (int j = threadIdx.x; j <= t; j += blockDim.x) p[j] = (real)((acc)p[j] * inv);
    for (int j = t + 1 + threadIdx.x; j < seq; j += blockDim.x) p[j] = 0;
}

// dS = p * (dP - rowsum(dP * p)) * scale in place (ds holds dP on entry); one block per row.
extern "C" __global__ void softmax_bwd(const real* p, real* ds, int n, double scale) {
    __shared__ acc sh[33];
    i64 base = (i64)blockIdx.x * n;
    acc dot = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) dot += (acc)p[base + j] * (acc)ds[base + j];
    dot = block_sum(dot, sh);
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        acc pv = p[base + j];
        ds[base + j] = (real)(pv * ((acc)ds[base + j] - dot) * scale);
    }
}

extern "C" __global__ void swiglu_fwd(const real* gate, const real* up, real* h, i64 n) {
    GRID_STRIDE(i, n) {
        acc x = gate[i];
        acc sg = 1.0 / (1.0 + exp(-x));
        h[i] = (real)(x * sg * (acc)up[i]);
    }
}

extern "C" __global__ void swiglu_bwd(const real* dh, const real* gate, const real* up, real* dgate, real* dup,
                                      i64 n) {
    GRID_STRIDE(i, n) {
        acc x = gate[i];
        acc sg = 1.0 / (1.0 + exp(-x));
        acc silu = x * sg;
        acc dv = dh[i];
        dup[i] = (real)(dv * silu);
        dgate[i] = (real)(dv * (acc)up[i] * (sg + silu * (1.0 - sg)));
    }
}

// One block per row: log softmax at the target and the entropy; rows with a negative target get 0.
extern "C" __global__ void logprobs_fwd(const real* logits, const int* targets, real* lp, real* ent, int v) {
    __shared__ acc sh[33];
    i64 row = blockIdx.x;
    int tg = targets[row];
    if (tg < 0) {
        if (threadIdx.x == 0) {
            lp[row] = 0;
            ent[row] = 0;
        }
        return;
    }
    const real* l = logits + row * v;
    acc mx = NEG_INF;
    for (int j = threadIdx.x; j < v; j += blockDim.x) mx = fmax(mx, (acc)l[j]);
    mx = block_max(mx, sh);
    acc sum = 0, wsum = 0;
    for (int j = threadIdx.x; j < v; j += blockDim.x) {
        acc z = (acc)l[j] - mx;
        acc e = exp(z);
        sum += e;
        wsum += e * z;
    }
    sum = block_sum(sum, sh);
    wsum = block_sum(wsum, sh);
    if (threadIdx.x == 0) {
        acc logZ = log(sum);
        lp[row] = (real)((acc)l[tg] - mx - logZ);
        ent[row] = (real)(logZ - wsum / sum);
    }
}

// In place: logits[r, :] = dlp[r] * (onehot(target) - softmax(logits[r])); one block per row.
extern "C" __global__ void logprobs_bwd(real* logits, const int* targets, const real* dlp, int v) {
    __shared__ acc sh[33];
    i64 row = blockIdx.x;
    int tg = targets[row];
    acc gr = tg < 0 ? 0.0 : (acc)dlp[row];
    real* l = logits + row * v;
    if (gr == 0.0) {
        for (int j = threadIdx.x; j < v; j += blockDim.x) l[j] = 0;
        return;
    }
    acc mx = NEG_INF;
    for (int j = threadIdx.x; j < v; j += blockDim.x) mx = fmax(mx, (acc)l[j]);
    mx = block_max(mx, sh);
    acc sum = 0;
    for (int j = threadIdx.x; j < v; j += blockDim.x) {
        acc e = exp((acc)l[j] - mx);
        l[j] = (real)e;
        sum += e;
    }
    sum = block_sum(sum, sh);
    acc sc = -gr / sum;
    for (int j = threadIdx.x; j < v; j += blockDim.x) l[j] = (real)((acc)l[j] * sc);
    __syncthreads();
    if (threadIdx.x == 0) l[tg] = (real)((acc)l[tg] + gr);
}

extern "C" __global__ void add_inplace(real* y, const real* x, i64 n) {
    GRID_STRIDE(i, n) y[i] = (real)((acc)y[i] + (acc)x[i]);
}

// Inverted dropout with CpuOps.dropout's mask: element i is dropped when SplitMix64's finalizer of
// seed + (i + 1) * golden, read as 53 bits in [0, 1), is below p; kept ones are scaled by keep_scale = 1 / (1 - p).
extern "C" __global__ void dropout(const real* x, real* out, double p, double keep_scale, i64 seed, i64 n) {
    GRID_STRIDE(i, n) {
        unsigned long long z = (unsigned long long)seed + (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ULL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        double u = (double)(z >> 11) * 1.1102230246251565e-16;
        out[i] = u < p ? (real)0 : (real)((acc)x[i] * keep_scale);
    }
}

extern "C" __global__ void scale(real* x, double s, i64 n) {
    GRID_STRIDE(i, n) x[i] = (real)((acc)x[i] * s);
}

// Per-block partial sums of squares (a fixed grid, summed on the host in block order: deterministic).
extern "C" __global__ void sumsq_partial(const real* x, i64 n, double* part) {
    __shared__ acc sh[33];
    acc s = 0;
    GRID_STRIDE(i, n) {
        acc v = x[i];
        s += v * v;
    }
    s = block_sum(s, sh);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

// flag = 1 when any element is NaN or infinite (v - v is 0 only for finite v).
extern "C" __global__ void nonfinite(const real* x, i64 n, int* flag) {
    GRID_STRIDE(i, n) {
        acc v = x[i];
        if (v - v != 0.0 || v != v) *flag = 1;
    }
}

// AdamW in double per element, as CpuOps: decay = 1 - lr * wd, c1/c2 the bias corrections.
extern "C" __global__ void adamw(real* p, const real* g, real* m, real* v, i64 n, double lr, double b1, double b2,
                                 double eps, double decay, double c1, double c2) {
    GRID_STRIDE(i, n) {
        acc gi = g[i];
        acc mi = b1 * (acc)m[i] + (1 - b1) * gi;
        acc vi = b2 * (acc)v[i] + (1 - b2) * gi * gi;
        m[i] = (real)mi;
        v[i] = (real)vi;
        acc upd = (mi / c1) / (sqrt(vi / c2) + eps);
        p[i] = (real)((acc)p[i] * decay - lr * upd);
    }
}

// rows [batch * seq, kvHeads * hd] into cache [batch, kvHeads, cap, hd] at start[b] + t (skipped if start < 0).
extern "C" __global__ void write_kv(const real* rows, real* cache, const int* start, int seq, int kvHeads, int cap,
                                    int hd, i64 total) {
    GRID_STRIDE(i, total) {
        int j = (int)(i % hd);
        i64 q = i / hd;
        int kv = (int)(q % kvHeads);
        i64 bt = q / kvHeads;
        int t = (int)(bt % seq);
        i64 b = bt / seq;
        int st = start[b];
        if (st < 0) continue;
        cache[((b * kvHeads + kv) * cap + st + t) * hd + j] = rows[i];
    }
}

// First len positions of every head of row srcRow of src [., heads, srcCap, hd] into row dstRow of dst.
extern "C" __global__ void copy_cache_row(const real* src, real* dst, int heads, int srcCap, int dstCap, int hd,
                                          int srcRow, int dstRow, int len) {
    i64 per = (i64)len * hd;
    GRID_STRIDE(i, heads * per) {
        i64 h = i / per;
        i64 rem = i - h * per;
        dst[((i64)dstRow * heads + h) * dstCap * hd + rem] = src[((i64)srcRow * heads + h) * srcCap * hd + rem];
    }
}

// One decoding step of attention, one block per (row, query head); each warp takes every nw-th key with
// a running (online) softmax, lanes holding head-dim slices of q and of the output; the warps' partial
// results are merged at the end. Rows with length 0 are left untouched. head_dim <= 32 * MAXC.
#define MAXC 8
extern "C" __global__ void decode_attention(const real* q, const real* kc, const real* vc, const int* lengths,
                                            real* out, int heads, int kvHeads, int group, int cap, int hd,
                                            double scale) {
    __shared__ acc sm[32];
    __shared__ acc sl[32];
    extern __shared__ acc sacc[];
    int b = blockIdx.x / heads, h = blockIdx.x % heads;
    int len = lengths[b];
    if (len <= 0) return;
    int kv = h / group;
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    const real* qp = q + ((i64)b * heads + h) * hd;
    i64 cb = ((i64)b * kvHeads + kv) * cap * hd;
    acc qv[MAXC], o[MAXC];
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        qv[c] = e < hd ? (acc)qp[e] : 0.0;
        o[c] = 0;
    }
    acc m = NEG_INF, l = 0;
    for (int j = w; j < len; j += nw) {
        const real* kr = kc + cb + (i64)j * hd;
        acc dot = 0;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) dot += qv[c] * (acc)kr[e];
        }
        dot = warp_sum(dot) * scale;
        acc mn = fmax(m, dot);
        acc corr = exp(m - mn);
        acc pj = exp(dot - mn);
        l = l * corr + pj;
        const real* vr = vc + cb + (i64)j * hd;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) o[c] = o[c] * corr + pj * (acc)vr[e];
        }
        m = mn;
    }
    if (lane == 0) {
        sm[w] = m;
        sl[w] = l;
    }
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        if (e < hd) sacc[w * hd + e] = o[c];
    }
    __syncthreads();
    acc M = NEG_INF;
    for (int k = 0; k < nw; k++) M = fmax(M, sm[k]);
    acc L = 0;
    for (int k = 0; k < nw; k++) {
        if (sm[k] != NEG_INF) L += sl[k] * exp(sm[k] - M);
    }
    for (int e = threadIdx.x; e < hd; e += blockDim.x) {
        acc s = 0;
        for (int k = 0; k < nw; k++) {
            if (sm[k] != NEG_INF) s += sacc[k * hd + e] * exp(sm[k] - M);
        }
        out[((i64)b * heads + h) * hd + e] = (real)(s / L);
    }
}

// Flash-decoding: decode_attention with the positions of each (row, query head) split into gridDim.y chunks
// of `chunk` positions, one block each, so that a long context keeps every SM busy even for a small batch.
// Each block writes its partial (max, sum of weights, weighted values) to part[((b * heads + h) * splits + s) *
// (hd + 2)]: [0] = max, [1] = sum, [2 ..] = values; decode_combine merges them.
extern "C" __global__ void decode_attention_split(const real* q, const real* kc, const real* vc, const int* lengths,
                                                  acc* part, int heads, int kvHeads, int group, int cap, int hd,
                                                  double scale, int chunk) {
    __shared__ acc sm[32];
    __shared__ acc sl[32];
    extern __shared__ acc sacc[];
    int b = blockIdx.x / heads, h = blockIdx.x % heads;
    int s = blockIdx.y, splits = gridDim.y;
    int len = lengths[b];
    if (len <= 0) return;
    int j0 = s * chunk, j1 = min(len, j0 + chunk);
    int kv = h / group;
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    const real* qp = q + ((i64)b * heads + h) * hd;
    i64 cb = ((i64)b * kvHeads + kv) * cap * hd;
    acc qv[MAXC], o[MAXC];
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        qv[c] = e < hd ? (acc)qp[e] : 0.0;
        o[c] = 0;
    }
    acc m = NEG_INF, l = 0;
    for (int j = j0 + w; j < j1; j += nw) {
        const real* kr = kc + cb + (i64)j * hd;
        acc dot = 0;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) dot += qv[c] * (acc)kr[e];
        }
        dot = warp_sum(dot) * scale;
        acc mn = fmax(m, dot);
        acc corr = exp(m - mn);
        acc pj = exp(dot - mn);
        l = l * corr + pj;
        const real* vr = vc + cb + (i64)j * hd;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) o[c] = o[c] * corr + pj * (acc)vr[e];
        }
        m = mn;
    }
    if (lane == 0) {
        sm[w] = m;
        sl[w] = l;
    }
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        if (e < hd) sacc[w * hd + e] = o[c];
    }
    __syncthreads();
    acc M = NEG_INF;
    for (int k = 0; k < nw; k++) M = fmax(M, sm[k]);
    acc L = 0;
    for (int k = 0; k < nw; k++) {
        if (sm[k] != NEG_INF) L += sl[k] * exp(sm[k] - M);
    }
    acc* pp = part + (((i64)b * heads + h) * splits + s) * (hd + 2);
    if (threadIdx.x == 0) {
        pp[0] = M;
        pp[1] = L;
    }
    for (int e = threadIdx.x; e < hd; e += blockDim.x) {
        acc t = 0;
        for (int k = 0; k < nw; k++) {
            if (sm[k] != NEG_INF) t += sacc[k * hd + e] * exp(sm[k] - M);
        }
        pp[2 + e] = t;
    }
}

// Merges the partials of decode_attention_split: one block per (row, query head); rows with length 0 untouched.
extern "C" __global__ void decode_combine(const acc* part, const int* lengths, real* out, int heads, int splits,
                                          int hd) {
    int b = blockIdx.x / heads, h = blockIdx.x % heads;
    if (lengths[b] <= 0) return;
    const acc* pp = part + ((i64)b * heads + h) * splits * (hd + 2);
    acc M = NEG_INF;
    for (int s = 0; s < splits; s++) M = fmax(M, pp[(i64)s * (hd + 2)]);
    acc L = 0;
    for (int s = 0; s < splits; s++) {
        acc ms = pp[(i64)s * (hd + 2)];
        if (ms != NEG_INF) L += pp[(i64)s * (hd + 2) + 1] * exp(ms - M);
    }
    for (int e = threadIdx.x; e < hd; e += blockDim.x) {
        acc t = 0;
        for (int s = 0; s < splits; s++) {
            acc ms = pp[(i64)s * (hd + 2)];
            if (ms != NEG_INF) t += pp[(i64)s * (hd + 2) + 2 + e] * exp(ms - M);
        }
        out[((i64)b * heads + h) * hd + e] = (real)(t / L);
    }
}

// Fused causal attention (FlashAttention-2's online softmax; the [seq, seq] scores never exist). q [batch * seq,
// heads * hd], k [batch * seq, kvHeads * hd] and v [batch * seq, kvHeads * hdv] (hdv = hd but for DeepSeek's latent
// attention); query head h reads kv head h / (heads / kvHeads). One warp per query row (blockIdx.y = b * heads + h,
// t = blockIdx.x * warps + warp), lanes holding head-dim slices of q and of the output (hd, hdv <= 32 * MAXC); keys
// j <= t < lengths[b]. out [batch * seq, heads * hdv]; lse [batch * heads * seq] gets the log-sum-exp of the scaled
// scores; padded queries get out = 0 and lse = 0.
extern "C" __global__ void flash_fwd(const real* q, const real* k, const real* v, const int* lengths, real* out,
                                     real* lse, int seq, int heads, int kvHeads, int hd, int hdv, double scale) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, warps = blockDim.x >> 5;
    int bh = blockIdx.y;
    int b = bh / heads, h = bh % heads;
    int t = blockIdx.x * warps + w;
    if (t >= seq) return;
    int kv = h / (heads / kvHeads);
    int len = min(lengths[b], seq);
    i64 qBase = ((i64)b * seq + t) * heads * hd + (i64)h * hd;
    i64 oBase = ((i64)b * seq + t) * heads * hdv + (i64)h * hdv;
    i64 li = (i64)bh * seq + t;
    if (t >= len) {
        for (int e = lane; e < hdv; e += 32) out[oBase + e] = 0;
        if (lane == 0) lse[li] = 0;
        return;
    }
    acc qv[MAXC], o[MAXC];
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        qv[c] = e < hd ? (acc)q[qBase + e] : 0.0;
        o[c] = 0;
    }
    acc m = NEG_INF, l = 0;
    for (int j = 0; j <= t; j++) {
        i64 kBase = ((i64)b * seq + j) * kvHeads * hd + (i64)kv * hd;
        i64 vBase = ((i64)b * seq + j) * kvHeads * hdv + (i64)kv * hdv;
        acc dot = 0;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) dot += qv[c] * (acc)k[kBase + e];
        }
        dot = warp_sum(dot) * scale;
        acc mn = fmax(m, dot);
        acc corr = exp(m - mn);
        acc p = exp(dot - mn);
        l = l * corr + p;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hdv) o[c] = o[c] * corr + p * (acc)v[vBase + e];
        }
        m = mn;
    }
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        if (e < hdv) out[oBase + e] = (real)(o[c] / l);
    }
    if (lane == 0) lse[li] = (real)(m + log(l));
}

// Backward of flash_fwd, part 1 (same grid): per query row, D = rowsum(dOut * out) into dsum (kept for part 2)
// and dq = sum_j scale * p_j * (dOut . v_j - D) * k_j with p_j = exp(scale * q . k_j - lse) recomputed.
extern "C" __global__ void flash_bwd_dq(const real* q, const real* k, const real* v, const real* out,
                                        const real* lse, const real* dout, const int* lengths, real* dq, acc* dsum,
                                        int seq, int heads, int kvHeads, int hd, int hdv, double scale) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, warps = blockDim.x >> 5;
    int bh = blockIdx.y;
    int b = bh / heads, h = bh % heads;
    int t = blockIdx.x * warps + w;
    if (t >= seq) return;
    int kv = h / (heads / kvHeads);
    int len = min(lengths[b], seq);
    i64 qBase = ((i64)b * seq + t) * heads * hd + (i64)h * hd;
    i64 oBase = ((i64)b * seq + t) * heads * hdv + (i64)h * hdv;
    i64 li = (i64)bh * seq + t;
    if (t >= len) {
        for (int e = lane; e < hd; e += 32) dq[qBase + e] = 0;
        if (lane == 0) dsum[li] = 0;
        return;
    }
    acc qv[MAXC], gv[MAXC], dqv[MAXC];
    acc d = 0;
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        qv[c] = e < hd ? (acc)q[qBase + e] : 0.0;
        gv[c] = e < hdv ? (acc)dout[oBase + e] : 0.0;
        if (e < hdv) d += gv[c] * (acc)out[oBase + e];
        dqv[c] = 0;
    }
    d = warp_sum(d);
    if (lane == 0) dsum[li] = d;
    acc L = (acc)lse[li];
    for (int j = 0; j <= t; j++) {
        i64 kBase = ((i64)b * seq + j) * kvHeads * hd + (i64)kv * hd;
        i64 vBase = ((i64)b * seq + j) * kvHeads * hdv + (i64)kv * hdv;
        acc s = 0, dp = 0;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) s += qv[c] * (acc)k[kBase + e];
            if (e < hdv) dp += gv[c] * (acc)v[vBase + e];
        }
        s = warp_sum(s);
        dp = warp_sum(dp);
        acc p = exp(s * scale - L);
        acc ds = p * (dp - d) * scale;
#pragma unroll
        for (int c = 0; c < MAXC; c++) {
            int e = lane + 32 * c;
            if (e < hd) dqv[c] += ds * (acc)k[kBase + e];
        }
    }
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        if (e < hd) dq[qBase + e] = (real)dqv[c];
    }
}

// Backward part 2: one warp per key row j of a kv head (blockIdx.y = b * kvHeads + kv), summing over the query
// heads of its group and the queries t in [j, lengths[b]): dv_j = sum p * dOut_t, dk_j = sum scale * p * (dOut_t .
// v_j - D_t) * q_t. Each key row is owned by one warp, so no atomics; padded key rows get 0.
extern "C" __global__ void flash_bwd_dkdv(const real* q, const real* k, const real* v, const real* lse,
                                          const real* dout, const int* lengths, const acc* dsum, real* dk, real* dv,
                                          int seq, int heads, int kvHeads, int hd, int hdv, double scale) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, warps = blockDim.x >> 5;
    int bk = blockIdx.y;
    int b = bk / kvHeads, kv = bk % kvHeads;
    int j = blockIdx.x * warps + w;
    if (j >= seq) return;
    int group = heads / kvHeads;
    int len = min(lengths[b], seq);
    i64 kBase = ((i64)b * seq + j) * kvHeads * hd + (i64)kv * hd;
    i64 vBase = ((i64)b * seq + j) * kvHeads * hdv + (i64)kv * hdv;
    acc kvv[MAXC], vv[MAXC], dkv[MAXC], dvv[MAXC];
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        kvv[c] = (e < hd && j < len) ? (acc)k[kBase + e] : 0.0;
        vv[c] = (e < hdv && j < len) ? (acc)v[vBase + e] : 0.0;
        dkv[c] = 0;
        dvv[c] = 0;
    }
    for (int g = 0; g < group && j < len; g++) {
        int h = kv * group + g;
        for (int t = j; t < len; t++) {
            i64 qBase = ((i64)b * seq + t) * heads * hd + (i64)h * hd;
            i64 oBase = ((i64)b * seq + t) * heads * hdv + (i64)h * hdv;
            i64 li = ((i64)b * heads + h) * seq + t;
            acc s = 0, dp = 0;
#pragma unroll
            for (int c = 0; c < MAXC; c++) {
                int e = lane + 32 * c;
                if (e < hd) s += (acc)q[qBase + e] * kvv[c];
                if (e < hdv) dp += (acc)dout[oBase + e] * vv[c];
            }
            s = warp_sum(s);
            dp = warp_sum(dp);
            acc p = exp(s * scale - (acc)lse[li]);
            acc ds = p * (dp - dsum[li]) * scale;
#pragma unroll
            for (int c = 0; c < MAXC; c++) {
                int e = lane + 32 * c;
                if (e < hdv) dvv[c] += p * (acc)dout[oBase + e];
                if (e < hd) dkv[c] += ds * (acc)q[qBase + e];
            }
        }
    }
#pragma unroll
    for (int c = 0; c < MAXC; c++) {
        int e = lane + 32 * c;
        if (e < hd) dk[kBase + e] = (real)dkv[c];
        if (e < hdv) dv[vBase + e] = (real)dvv[c];
    }
}

__device__ int block_min_int(int v, int* sh) {
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v = min(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        int t = lane < nw ? sh[lane] : 0x7fffffff;
        for (int o = 16; o > 0; o >>= 1) t = min(t, __shfl_xor_sync(0xffffffffu, t, o));
        if (lane == 0) sh[32] = t;
    }
    __syncthreads();
    return sh[32];
}

// One token per row, as the host's NextTokenSampler draws it without top-k/top-p: logits read as float,
// weights w_j = exp((l_j - max) * invT), the pick is the first j (in vocabulary order) whose running sum of
// weights exceeds u * sum(w) (greedy: the first argmax); lp = (l_pick - max) * invT - log(sum(w)).
// Each thread owns a contiguous chunk of the row, so the running sum is a scan over chunk sums.
extern "C" __global__ void sample_rows(const real* logits, int v, double invT, int greedy, const double* u, int* tok,
                                       double* lp) {
    __shared__ acc sh[33];
    __shared__ int shi[33];
    __shared__ acc prefix[1024];
    __shared__ int found;
    const real* l = logits + (i64)blockIdx.x * v;
    acc mx = NEG_INF;
    for (int j = threadIdx.x; j < v; j += blockDim.x) mx = fmax(mx, (acc)(float)l[j]);
    mx = block_max(mx, sh);
    int am = 0x7fffffff;
    for (int j = threadIdx.x; j < v; j += blockDim.x) {
        if ((acc)(float)l[j] == mx) am = min(am, j);
    }
    am = block_min_int(am, shi);
    int per = (v + blockDim.x - 1) / blockDim.x;
    int j0 = min(v, (int)threadIdx.x * per), j1 = min(v, j0 + per);
    acc s = 0;
    int lastPos = -1;
    for (int j = j0; j < j1; j++) {
        acc w = exp(((acc)(float)l[j] - mx) * invT);
        s += w;
        if (w > 0) lastPos = j;
    }
    prefix[threadIdx.x] = s;
    acc sum = block_sum(s, sh); // its barriers also publish prefix[]
    int last = -block_min_int(-lastPos, shi);
    int token = am;
    if (!greedy) {
        if (threadIdx.x == 0) {
            acc c = 0;
            for (int k = 0; k < blockDim.x; k++) {
                acc t = prefix[k];
                prefix[k] = c;
                c += t;
            }
            found = 0x7fffffff;
        }
        __syncthreads();
        acc target = u[blockIdx.x] * sum;
        acc c = prefix[threadIdx.x];
        if (j0 < j1 && target >= c) {
            for (int j = j0; j < j1; j++) {
                acc w = exp(((acc)(float)l[j] - mx) * invT);
                if (w > 0) {
                    c += w;
                    if (target < c) {
                        atomicMin(&found, j);
                        break;
                    }
                }
            }
        }
        __syncthreads();
        token = found != 0x7fffffff ? found : (last >= 0 ? last : 0);
    }
    if (threadIdx.x == 0) {
        tok[blockIdx.x] = token;
        lp[blockIdx.x] = ((acc)(float)l[token] - mx) * invT - log(sum);
    }
}

// ------------------------------------------------------------------ DeepSeek (MLA and MoE)

// rows [batch * seq, rowWidth] <-> heads [batch * nHeads, seq, headWidth]: for row n = b * seq + t, head h and
// j < width, heads[b * nHeads + h, t, headCol + j] and rows[n, rowCol + h * rowHeadStride + j]. toHeads copies;
// otherwise heads are added into rows: plainly when the heads' row segments are disjoint (stride >= width), as
// one sum per element over the heads when they all share one segment (stride 0, MLA's shared RoPE key: no
// atomics, a fixed order), with atomics when segments partly overlap.
extern "C" __global__ void gather_heads(real* rows, real* heads, int rowWidth, int rowCol, int rowHeadStride,
                                        int headWidth, int headCol, int width, int nHeads, int seq, i64 total,
                                        int toHeads) {
    GRID_STRIDE(i, total) {
        int j = (int)(i % width);
        i64 q = i / width;
        int h = (int)(q % nHeads);
        i64 n = q / nHeads;
        int t = (int)(n % seq);
        i64 b = n / seq;
        i64 r = n * rowWidth + rowCol + (i64)h * rowHeadStride + j;
        i64 hd = ((b * nHeads + h) * seq + t) * headWidth + headCol + j;
        if (toHeads) {
            heads[hd] = rows[r];
        } else if (rowHeadStride >= width) {
            rows[r] = (real)((acc)rows[r] + (acc)heads[hd]);
        } else if (rowHeadStride == 0) {
            if (h == 0) {
                acc s = rows[r];
                i64 step = (i64)seq * headWidth;
                for (int k = 0; k < nHeads; k++) s += (acc)heads[hd + k * step];
                rows[r] = (real)s;
            }
        } else {
            atomicAdd(&rows[r], heads[hd]);
        }
    }
}

// Rotary embedding in place on part of each head of x [rows, heads * headStride]: in every head the dims from col
// on, pair i being (2i, 2i + 1) when interleaved (DeepSeek) or (i, i + half) (Llama); angles and the cos/sin scale
// as in rope() (DeepSeek's YaRN attention factor, mscale / mscale_all_dim, is not 1 when the two differ).
extern "C" __global__ void rope_slice(real* x, const int* pos, const double* invf, i64 rows, int heads,
                                      int headStride, int col, int half, int interleaved, int inverse, double scale) {
    int width = heads * headStride;
    GRID_STRIDE(i, rows * heads * half) {
        int k = (int)(i % half);
        i64 rh = i / half;
        int h = (int)(rh % heads);
        i64 r = rh / heads;
        double sn, cs;
        sincos((double)pos[r] * invf[k], &sn, &cs);
        sn *= scale;
        cs *= scale;
        if (inverse) sn = -sn;
        i64 ia = r * width + (i64)h * headStride + col + (interleaved ? 2 * k : k);
        i64 ib = ia + (interleaved ? 1 : half);
        acc u = x[ia];
        acc v = x[ib];
        x[ia] = (real)(u * cs - v * sn);
        x[ib] = (real)(v * cs + u * sn);
    }
}

// dst[i, :] = scales[i] * src[rows[i], :] (scales null: 1).
extern "C" __global__ void gather_rows(const real* src, const int* rows, const double* scales, real* dst, i64 n,
                                       int w) {
    GRID_STRIDE(i, n * w) {
        i64 r = i / w;
        acc v = src[(i64)rows[r] * w + (i - r * w)];
        dst[i] = (real)(scales ? v * scales[r] : v);
    }
}

// dst[rows[i], :] += scales[i] * src[i, :] (scales null: 1); repeated rows add through atomics.
extern "C" __global__ void scatter_add_rows(const real* src, const int* rows, const double* scales, real* dst,
                                            i64 n, int w) {
    GRID_STRIDE(i, n * w) {
        i64 r = i / w;
        acc v = src[i];
        atomicAdd(&dst[(i64)rows[r] * w + (i - r * w)], (real)(scales ? v * scales[r] : v));
    }
}

// out[i] = a[rows[i], :] . b[i, :] in double, one warp per i.
extern "C" __global__ void gathered_row_dots(const real* a, const int* rows, const real* b, double* out, i64 n,
                                             int w) {
    i64 warp = ((i64)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int lane = threadIdx.x & 31;
    if (warp >= n) return;
    const real* ar = a + (i64)rows[warp] * w;
    const real* br = b + warp * w;
    acc s = 0;
    for (int j = lane; j < w; j += 32) s += (acc)ar[j] * (acc)br[j];
    s = warp_sum(s);
    if (lane == 0) out[warp] = s;
}

// One decoding step of multi-head latent attention, one block per (query head, row): qLatent and qRope
// [heads, batch, .] against the first lengths[b] positions of latentCache [batch, 1, cap, rank] and ropeCache
// [batch, 1, cap, ropeDim]; out [heads, batch, rank] = sum_j softmax(scale * (ql . latent_j + qr . rope_j)) latent_j.
// As decode_attention, each warp takes every nw-th position with an online softmax and the warps' results are
// merged at the end; the query and each warp's accumulator live in shared memory, so any rank fits (shared
// memory: (rank + ropeDim + nw * rank) doubles). Rows with length 0 are left untouched.
extern "C" __global__ void latent_decode_attention(const real* ql, const real* qr, const real* lc, const real* rc,
                                                   const int* lengths, real* out, int heads, int batch, int cap,
                                                   int rank, int ropeDim, double scale) {
    __shared__ acc sm[32];
    __shared__ acc sl[32];
    extern __shared__ acc smem[];
    int h = blockIdx.x / batch, b = blockIdx.x % batch;
    int len = lengths[b];
    if (len <= 0) return;
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    i64 qi = (i64)h * batch + b;
    acc* sq = smem;                 // [rank + ropeDim]: the query
    acc* so = smem + rank + ropeDim; // [nw, rank]: each warp's unnormalised output
    for (int e = threadIdx.x; e < rank; e += blockDim.x) sq[e] = ql[qi * rank + e];
    for (int e = threadIdx.x; e < ropeDim; e += blockDim.x) sq[rank + e] = qr[qi * ropeDim + e];
    for (int e = lane; e < rank; e += 32) so[w * rank + e] = 0;
    __syncthreads();
    const real* lb = lc + (i64)b * cap * rank;
    const real* rb = rc + (i64)b * cap * ropeDim;
    acc m = NEG_INF, l = 0;
    for (int j = w; j < len; j += nw) {
        const real* lat = lb + (i64)j * rank;
        const real* rp = rb + (i64)j * ropeDim;
        acc dot = 0;
        for (int e = lane; e < rank; e += 32) dot += sq[e] * (acc)lat[e];
        for (int e = lane; e < ropeDim; e += 32) dot += sq[rank + e] * (acc)rp[e];
        dot = warp_sum(dot) * scale;
        acc mn = fmax(m, dot);
        acc corr = exp(m - mn);
        acc pj = exp(dot - mn);
        l = l * corr + pj;
        for (int e = lane; e < rank; e += 32) so[w * rank + e] = so[w * rank + e] * corr + pj * (acc)lat[e];
        m = mn;
    }
    if (lane == 0) {
        sm[w] = m;
        sl[w] = l;
    }
    __syncthreads();
    acc M = NEG_INF;
    for (int k = 0; k < nw; k++) M = fmax(M, sm[k]);
    acc L = 0;
    for (int k = 0; k < nw; k++) {
        if (sm[k] != NEG_INF) L += sl[k] * exp(sm[k] - M);
    }
    for (int e = threadIdx.x; e < rank; e += blockDim.x) {
        acc s = 0;
        for (int k = 0; k < nw; k++) {
            if (sm[k] != NEG_INF) s += so[k * rank + e] * exp(sm[k] - M);
        }
        out[qi * rank + e] = (real)(s / L);
    }
}

// ==================================================================================================================
// bf16 mixed precision (CudaOps.holdInBf16): bf16 values are stored as their 16 bits (unsigned short; NVRTC gets no
// cuda_bf16.h here). Conversions round to nearest, ties to even, as org.align4j.policy.ops.Bf16 does on the host.
// ==================================================================================================================

__device__ __forceinline__ unsigned short a4j_to_bf16(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u); // NaN stays (quiet) NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

__device__ __forceinline__ float a4j_from_bf16(unsigned short h) {
    return __uint_as_float(((unsigned int)h) << 16);
}

// dst[i] = bf16(src[i]): the activation operand of a bf16 matrix product, or a trainable weight's working copy.
extern "C" __global__ void bf16_from_real(const real* src, unsigned short* dst, i64 n) {
    GRID_STRIDE(i, n) { dst[i] = a4j_to_bf16((float)src[i]); }
}

// dst[i] = src[i] widened (exact): a copy out of a frozen bf16 weight (LoRA's merged weight).
extern "C" __global__ void real_from_bf16(const unsigned short* src, real* dst, i64 n) {
    GRID_STRIDE(i, n) { dst[i] = (real)a4j_from_bf16(src[i]); }
}

// out[n, :] = table[ids[n], :] from a frozen bf16 embedding table (embedding_fwd's bf16 twin).
extern "C" __global__ void embedding_fwd_bf16(const int* ids, const unsigned short* table, real* out, i64 n, int d) {
    GRID_STRIDE(i, n * d) {
        i64 r = i / d;
        out[i] = (real)a4j_from_bf16(table[(i64)ids[r] * d + (i - r * d)]);
    }
}
