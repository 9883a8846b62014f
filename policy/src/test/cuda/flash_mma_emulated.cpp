// Runs flash_mma.cu's tensor-core attention kernels (head dims 64/64, 128/128 and 192/128) on the CPU, to check their tiling, masking and fragment
// bookkeeping without a GPU (EmulatedKernelsTest compiles this with g++ beside the kernel source, as kernel.cu).
// The emulation is emulation.h's. Compared with float64 attention (forward and backward) of the same inputs rounded
// to bf16; prints the worst relative errors and exits 1 when one passes the bound given as the first argument.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "emulation.h"
#include "kernel.cu"

static float roundBf16(float x) { return bf16ToFloat(fm_bf16(x)); }

struct Case {
    int hd, hdv, heads, kvHeads, seq;
    std::vector<int> lengths;
};

/** Worst |got - want| over the largest |want|, over the live rows of a [batch * seq, cols] array. */
static double relError(const std::vector<float>& got, const std::vector<double>& want) {
    double err = 0, scale = 1e-30;
    for (size_t i = 0; i < got.size(); i++) {
        err = std::fmax(err, std::fabs(got[i] - want[i]));
        scale = std::fmax(scale, std::fabs(want[i]));
    }
    return err / scale;
}

static double runCase(const Case& c, unsigned seed) {
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
    std::vector<double> out(on, 0), lse((size_t)batch * heads * seq, 0), dq(qn, 0), dk(kn, 0), dv(vn, 0);
    for (int b = 0; b < batch; b++) {
        int len = std::min(c.lengths[b], seq);
        for (int h = 0; h < heads; h++) {
            int kv = h / group;
            for (int t = 0; t < len; t++) {
                auto Q = [&](int e) { return (double)roundBf16(q[((size_t)(b * seq + t) * heads + h) * hd + e]); };
                auto G = [&](int e) { return (double)go[((size_t)(b * seq + t) * heads + h) * hdv + e]; };
                auto K = [&](int j, int e) { return (double)roundBf16(k[((size_t)(b * seq + j) * kvh + kv) * hd + e]); };
                auto V = [&](int j, int e) { return (double)roundBf16(v[((size_t)(b * seq + j) * kvh + kv) * hdv + e]); };
                std::vector<double> s(t + 1), p(t + 1), dp(t + 1);
                double m = -1e300;
                for (int j = 0; j <= t; j++) {
                    double d = 0;
                    for (int e = 0; e < hd; e++) d += Q(e) * K(j, e);
                    s[j] = d * scale;
                    m = std::fmax(m, s[j]);
                }
                double l = 0;
                for (int j = 0; j <= t; j++) l += std::exp(s[j] - m);
                lse[((size_t)b * heads + h) * seq + t] = m + std::log(l);
                double D = 0;
                for (int e = 0; e < hdv; e++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) o += std::exp(s[j] - m) / l * V(j, e);
                    out[((size_t)(b * seq + t) * heads + h) * hdv + e] = o;
                    D += o * G(e);
                }
                for (int j = 0; j <= t; j++) {
                    p[j] = std::exp(s[j] - m) / l;
                    double d = 0;
                    for (int e = 0; e < hdv; e++) d += G(e) * V(j, e);
                    double ds = p[j] * (d - D) * scale;
                    for (int e = 0; e < hd; e++) {
                        dq[((size_t)(b * seq + t) * heads + h) * hd + e] += ds * K(j, e);
                        dk[((size_t)(b * seq + j) * kvh + kv) * hd + e] += ds * Q(e);
                    }
                    for (int e = 0; e < hdv; e++) {
                        dv[((size_t)(b * seq + j) * kvh + kv) * hdv + e] += p[j] * G(e);
                    }
                }
            }
        }
    }
    std::vector<float> gOut(on, -7.f), gLse(lse.size(), -7.f), gD(lse.size()), gDq(qn, -7.f), gDk(kn, -7.f),
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
    double eOut = relError(gOut, out), eDq = relError(gDq, dq), eDk = relError(gDk, dk), eDv = relError(gDv, dv);
    double eLse = 0;
    for (size_t i = 0; i < lse.size(); i++) eLse = std::fmax(eLse, std::fabs(gLse[i] - lse[i]));
    std::printf("hd %d/%d heads %d kv %d seq %d lengths", hd, hdv, heads, kvh, seq);
    for (int l : c.lengths) std::printf(" %d", l);
    std::printf(": out %.2e lse %.2e dq %.2e dk %.2e dv %.2e\n", eOut, eLse, eDq, eDk, eDv);
    return std::fmax(std::fmax(eOut, eLse), std::fmax(eDq, std::fmax(eDk, eDv)));
}

int main(int argc, char** argv) {
    double bound = argc > 1 ? std::atof(argv[1]) : 2e-2;
    std::vector<Case> cases = {
        {64, 64, 4, 2, 100, {100, 61}},  // GQA, ragged, a partial last tile
        {128, 128, 2, 2, 70, {70, 33}},  // one query head per kv head: dk/dv written directly
        {64, 64, 3, 1, 130, {1, 129}},   // a one-token row, group of 3
        {128, 128, 4, 1, 64, {64}},      // exactly one forward tile
        {192, 128, 3, 3, 90, {90, 50}},  // DeepSeek's latent attention: values narrower than queries and keys
        {192, 128, 2, 1, 40, {40}},      // the same with a group (not what MLA does, but what the kernels allow)
    };
    double worst = 0;
    unsigned seed = 1;
    for (const Case& c : cases) {
        worst = std::fmax(worst, runCase(c, seed++));
    }
    std::printf("worst %.3e (bound %.1e)\n", worst, bound);
    return worst <= bound ? 0 : 1;
}
