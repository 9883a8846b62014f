// Runs flash_mma.cu's tensor-core attention kernels (head dims 64/64, 128/128 and 192/128) on the CPU, to check their tiling, masking and fragment
// bookkeeping without a GPU (EmulatedKernelsTest compiles this with g++ beside the kernel source, as kernel.cu).
// The emulation is emulation.h's. Compared with float64 attention (forward and backward) of the same inputs rounded
// to bf16; prints the worst relative errors and exits 1 when one passes the bound given as the first argument.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "emulation.h"
#include "attention_reference.h"
#include "kernel.cu"

static float roundBf16(float x) { return bf16ToFloat(fm_bf16(x)); }

static double runCase(const AttentionCase& c, unsigned seed) {
    int batch = (int)c.lengths.size(), hd = c.hd, hdv = c.hdv, heads = c.heads, kvh = c.kvHeads, seq = c.seq;
    int group = heads / kvh;
    size_t qn = (size_t)batch * seq * heads * hd, kn = (size_t)batch * seq * kvh * hd;
    size_t on = (size_t)batch * seq * heads * hdv, vn = (size_t)batch * seq * kvh * hdv;
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.f, 1.f);
    std::vector<float> q(qn), k(kn), v(vn), go(on);
    for (auto* a : {&q, &k, &v, &go}) {
        for (auto& x : *a) {
            x = nd(rng);
        }
    }
    float scale = 1.f / std::sqrt((float)hd);
    // float64 reference from the bf16-rounded inputs (what the tensor cores multiply)
    std::vector<double> q64(qn), k64(kn), v64(vn);
    for (size_t i = 0; i < qn; i++) q64[i] = roundBf16(q[i]);
    for (size_t i = 0; i < kn; i++) k64[i] = roundBf16(k[i]);
    for (size_t i = 0; i < vn; i++) v64[i] = roundBf16(v[i]);
    AttentionReference want = attentionReference(c, q64, k64, v64, widened(go), scale);
    std::vector<float> gOut(on, -7.f), gLse(want.lse.size(), -7.f), gD(want.lse.size()), gDq(qn, -7.f), gDk(kn, -7.f),
        gDv(vn, -7.f), dkh((size_t)batch * seq * heads * hd), dvh((size_t)batch * seq * heads * hdv);
    auto fwd = hd == 64 ? fm_fwd64 : hd == 128 ? fm_fwd128 : fm_fwd192_128;
    auto bdq = hd == 64 ? fm_bwd_dq64 : hd == 128 ? fm_bwd_dq128 : fm_bwd_dq192_128;
    auto bkv = hd == 64 ? fm_bwd_dkdv64 : hd == 128 ? fm_bwd_dkdv128 : fm_bwd_dkdv192_128;
    int qTiles = (seq + FM_Q_ROWS - 1) / FM_Q_ROWS;
    launch(qTiles, batch * heads, 128, [&] {
        fwd(q.data(), k.data(), v.data(), c.lengths.data(), gOut.data(), gLse.data(), seq, heads, kvh, scale);
    });
    int items = batch * seq * heads;
    launch((items + 3) / 4, 1, 128, [&] {
        fm_bwd_rowdot(gOut.data(), go.data(), c.lengths.data(), gD.data(), seq, heads, hdv, batch);
    });
    launch(qTiles, batch * heads, 128, [&] {
        bdq(q.data(), k.data(), v.data(), gLse.data(), gD.data(), go.data(), c.lengths.data(), gDq.data(), seq, heads,
            kvh, scale);
    });
    bool direct = group == 1;
    launch((seq + FM_DKV_KEYS - 1) / FM_DKV_KEYS, batch * heads, 64, [&] {
        bkv(q.data(), k.data(), v.data(), gLse.data(), gD.data(), go.data(), c.lengths.data(),
            direct ? gDk.data() : dkh.data(), direct ? gDv.data() : dvh.data(), seq, heads, kvh, direct ? kvh : heads,
            scale);
    });
    if (!direct) {
        launch(4, 1, 128, [&] { fm_group_sum(dkh.data(), gDk.data(), (i64)batch * seq, kvh, group, hd); });
        launch(4, 1, 128, [&] { fm_group_sum(dvh.data(), gDv.data(), (i64)batch * seq, kvh, group, hdv); });
    }
    double eOut = relError(gOut, want.out), eDq = relError(gDq, want.dq), eDk = relError(gDk, want.dk);
    double eDv = relError(gDv, want.dv), eLse = absError(gLse, want.lse);
    std::printf("hd %d/%d heads %d kv %d seq %d lengths", hd, hdv, heads, kvh, seq);
    for (int l : c.lengths) std::printf(" %d", l);
    std::printf(": out %.2e lse %.2e dq %.2e dk %.2e dv %.2e\n", eOut, eLse, eDq, eDk, eDv);
    return std::fmax(std::fmax(eOut, eLse), std::fmax(eDq, std::fmax(eDk, eDv)));
}

int main(int argc, char** argv) {
    double bound = argc > 1 ? std::atof(argv[1]) : 2e-2;
    std::vector<AttentionCase> cases = {
        {64, 64, 4, 2, 100, {100, 61}},  // GQA, ragged, a partial last tile
        {128, 128, 2, 2, 70, {70, 33}},  // one query head per kv head: dk/dv written directly
        {64, 64, 3, 1, 130, {1, 129}},   // a one-token row, group of 3
        {128, 128, 4, 1, 64, {64}},      // exactly one forward tile
        {192, 128, 3, 3, 90, {90, 50}},  // DeepSeek's latent attention: values narrower than queries and keys
        {192, 128, 2, 1, 40, {40}},      // the same with a group (not what MLA does, but what the kernels allow)
    };
    double worst = 0;
    unsigned seed = 1;
    for (const AttentionCase& c : cases) {
        worst = std::fmax(worst, runCase(c, seed++));
    }
    std::printf("worst %.3e (bound %.1e)\n", worst, bound);
    return worst <= bound ? 0 : 1;
}
