// Token sampling with top-k / top-p on the device (CudaOps.sampleTokens): compiled by NVRTC like kernels.cu, once
// per element type (-DA4J_REAL=float or double). The arithmetic is CpuOps' (TokenDraw): logits read as float,
// weights w_j = exp((l_j - max) * invT) in double, tokens ranked by the 64-bit key (bits of (float) w_j) << 32 |
// (0x7fffffff - j) (larger key = more likely, ties to the lower id). Instead of sorting 152k tokens, every cut of
// the ranking (the k-th token, the end of the nucleus, the drawn token) is found as a key by a radix search from
// the most significant byte: a 256-bin histogram of counts and masses per pass over the row, one pass per byte,
// stopping as soon as the chosen bin holds a single token. One block per row.

__device__ __forceinline__ acc weight_of(const real* l, int j, acc mx, acc invT) {
    return exp(((acc)(float)l[j] - mx) * invT);
}

__device__ __forceinline__ u64 key_of(acc w, int j) {
    return ((u64)__float_as_uint((float)w) << 32) | (u64)(unsigned)(0x7fffffff - j);
}

#define SELECT_COUNT 0   // the cut where the number of tokens ranked at or above it reaches target
#define SELECT_MASS_GE 1 // ... where their mass reaches target (the nucleus: cum >= target)
#define SELECT_MASS_GT 2 // ... where their mass exceeds target (the draw: target < cum)

struct Select {
    int cnt[256];
    acc mass[256];
    u64 keyOf[256];
    u64 prefix;
    acc aboveMass;
    int aboveCount;
    int fallback;
    int done;
    u64 result;
};

// The largest key T among tokens with key >= lo such that the tokens with lo <= key >= T reach target (see the
// modes); when even all of them do not (rounding), the smallest key >= lo (the whole set: the last ranked).
// Keys are unique (they hold the id), so a bin of the last byte holds one token.
__device__ u64 select_key(const real* l, int v, acc mx, acc invT, u64 lo, int mode, acc target, Select* s) {
    if (threadIdx.x == 0) {
        s->prefix = 0;
        s->aboveMass = 0;
        s->aboveCount = 0;
        s->fallback = 0;
        s->done = 0;
    }
    for (int shift = 56; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < 256; b += blockDim.x) {
            s->cnt[b] = 0;
            s->mass[b] = 0;
        }
        __syncthreads();
        u64 prefix = s->prefix;
        u64 hiMask = shift == 56 ? 0ULL : (~0ULL << (shift + 8));
        for (int j = threadIdx.x; j < v; j += blockDim.x) {
            acc w = weight_of(l, j, mx, invT);
            u64 key = key_of(w, j);
            if (key < lo || (key & hiMask) != prefix) continue;
            int d = (int)((key >> shift) & 255ULL);
            atomicAdd(&s->cnt[d], 1);
            if (mode != SELECT_COUNT) atomicAdd(&s->mass[d], w);
            s->keyOf[d] = key; // read only where the bin holds one token, so only one thread wrote it
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            acc above = s->aboveMass;
            int aboveCount = s->aboveCount;
            int chosen = -1, lowest = -1;
            acc lowAbove = above;
            int lowAboveCount = aboveCount;
            for (int b = 255; b >= 0; b--) {
                if (s->cnt[b] == 0) continue;
                lowest = b;
                lowAbove = above;
                lowAboveCount = aboveCount;
                acc m = above + s->mass[b];
                int c = aboveCount + s->cnt[b];
                bool reached = !s->fallback && (mode == SELECT_COUNT ? (acc)c >= target
                                                : mode == SELECT_MASS_GE ? m >= target : m > target);
                if (reached) {
                    chosen = b;
                    break;
                }
                above = m;
                aboveCount = c;
            }
            if (chosen < 0) {
                // Nothing reached the target: the whole remaining set, whose smallest key is in the lowest bin.
                chosen = lowest;
                above = lowAbove;
                aboveCount = lowAboveCount;
                s->fallback = 1;
            }
            if (chosen < 0) {
                // An empty set (not reachable: lo is always some token's key); keep lo.
                s->result = lo;
                s->done = 1;
            } else {
                s->prefix = prefix | ((u64)chosen << shift);
                s->aboveMass = above;
                s->aboveCount = aboveCount;
                if (s->cnt[chosen] == 1) {
                    s->result = s->keyOf[chosen];
                    s->done = 1;
                } else if (shift == 0) {
                    s->result = s->prefix;
                    s->done = 1;
                }
            }
        }
        __syncthreads();
        if (s->done) break;
    }
    u64 r = s->result;
    __syncthreads();
    return r;
}

// Sum of w over the tokens with key >= lo.
__device__ acc mass_from(const real* l, int v, acc mx, acc invT, u64 lo, acc* sh) {
    acc t = 0;
    for (int j = threadIdx.x; j < v; j += blockDim.x) {
        acc w = weight_of(l, j, mx, invT);
        if (key_of(w, j) >= lo) t += w;
    }
    return block_sum(t, sh);
}

// One block per row r: tok[r] and lp[r] = log softmax(l * invT)[tok[r]] for the truncated draw (topK in (0, v)
// and/or topP < 1) with uniform u[r]. Greedy and untruncated rows go to kernels.cu's sample_rows.
extern "C" __global__ void sample_truncated(const real* logits, int v, double invT, int topK, double topP,
                                            const double* u, int* tok, double* lp) {
    __shared__ acc sh[33];
    __shared__ Select sel;
    const real* l = logits + (i64)blockIdx.x * v;
    acc mx = NEG_INF;
    for (int j = threadIdx.x; j < v; j += blockDim.x) mx = fmax(mx, (acc)(float)l[j]);
    mx = block_max(mx, sh);
    acc s = 0;
    for (int j = threadIdx.x; j < v; j += blockDim.x) s += weight_of(l, j, mx, invT);
    acc sum = block_sum(s, sh);

    u64 lo = 0;
    acc total = sum;
    if (topK > 0 && topK < v) {
        lo = select_key(l, v, mx, invT, 0, SELECT_COUNT, (acc)topK, &sel);
        if (topP < 1) total = mass_from(l, v, mx, invT, lo, sh);
    }
    if (topP < 1) lo = select_key(l, v, mx, invT, lo, SELECT_MASS_GE, topP * total, &sel);
    acc mass = mass_from(l, v, mx, invT, lo, sh);
    u64 picked = select_key(l, v, mx, invT, lo, SELECT_MASS_GT, u[blockIdx.x] * mass, &sel);
    int token = 0x7fffffff - (int)(unsigned)(picked & 0xffffffffULL);
    if (threadIdx.x == 0) {
        tok[blockIdx.x] = token;
        lp[blockIdx.x] = ((acc)(float)l[token] - mx) * invT - log(sum);
    }
}
