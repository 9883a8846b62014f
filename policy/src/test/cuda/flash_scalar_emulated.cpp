// Runs kernels.cu's fused attention (flash_fwd, flash_bwd_dq, flash_bwd_dkdv: the exact path and the reference of
// the tensor-core one) on the CPU with emulation.h, against float64 attention: GQA groups, ragged rows, and value
// head dims other than the query/key one (DeepSeek's latent attention: 192 against 128). Built with
// -DA4J_REAL=float or double; prints the worst relative error and exits 1 when it passes the bound given as the
// first argument.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "emulation.h"
#include "kernel.cu"

struct Case {
    int hd, hdv, heads, kvHeads, seq;
    std::vector<int> lengths;
};

static double relError(const std::vector<real>& got, const std::vector<double>& want) {
    double err = 0, big = 1e-30;
    for (size_t i = 0; i < got.size(); i++) {
        err = std::fmax(err, std::fabs((double)got[i] - want[i]));
        big = std::fmax(big, std::fabs(want[i]));
    }
    return err / big;
}

static double runCase(const Case& c, unsigned seed) {
    int batch = (int)c.lengths.size(), hd = c.hd, hdv = c.hdv, heads = c.heads, kvh = c.kvHeads, seq = c.seq;
    int group = heads / kvh;
    size_t qn = (size_t)batch * seq * heads * hd, kn = (size_t)batch * seq * kvh * hd;
    size_t on = (size_t)batch * seq * heads * hdv, vn = (size_t)batch * seq * kvh * hdv;
    std::mt19937 rng(seed);
    std::normal_distribution<double> nd(0, 1);
    std::vector<real> q(qn), k(kn), v(vn), go(on);
    for (auto* a : {&q, &k, &v, &go}) {
        for (auto& x : *a) x = (real)nd(rng);
    }
    double scale = 1 / std::sqrt((double)hd);
    std::vector<double> out(on, 0), lse((size_t)batch * heads * seq, 0), dq(qn, 0), dk(kn, 0), dv(vn, 0);
    for (int b = 0; b < batch; b++) {
        int len = std::min(c.lengths[b], seq);
        for (int h = 0; h < heads; h++) {
            int kv = h / group;
            for (int t = 0; t < len; t++) {
                const real* qr = &q[((size_t)(b * seq + t) * heads + h) * hd];
                const real* gr = &go[((size_t)(b * seq + t) * heads + h) * hdv];
                std::vector<double> s(t + 1);
                double m = -INFINITY, l = 0;
                for (int j = 0; j <= t; j++) {
                    const real* kr = &k[((size_t)(b * seq + j) * kvh + kv) * hd];
                    double d = 0;
                    for (int e = 0; e < hd; e++) d += (double)qr[e] * kr[e];
                    s[j] = d * scale;
                    m = std::fmax(m, s[j]);
                }
                for (int j = 0; j <= t; j++) l += std::exp(s[j] - m);
                lse[((size_t)b * heads + h) * seq + t] = m + std::log(l);
                double D = 0;
                for (int e = 0; e < hdv; e++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) o += std::exp(s[j] - m) / l * v[((size_t)(b * seq + j) * kvh + kv) * hdv + e];
                    out[((size_t)(b * seq + t) * heads + h) * hdv + e] = o;
                    D += o * gr[e];
                }
                for (int j = 0; j <= t; j++) {
                    double p = std::exp(s[j] - m) / l, dp = 0;
                    const real* kr = &k[((size_t)(b * seq + j) * kvh + kv) * hd];
                    const real* vr = &v[((size_t)(b * seq + j) * kvh + kv) * hdv];
                    for (int e = 0; e < hdv; e++) dp += (double)gr[e] * vr[e];
                    double ds = p * (dp - D) * scale;
                    for (int e = 0; e < hd; e++) {
                        dq[((size_t)(b * seq + t) * heads + h) * hd + e] += ds * kr[e];
                        dk[((size_t)(b * seq + j) * kvh + kv) * hd + e] += ds * qr[e];
                    }
                    for (int e = 0; e < hdv; e++) dv[((size_t)(b * seq + j) * kvh + kv) * hdv + e] += p * gr[e];
                }
            }
        }
    }
    std::vector<real> gOut(on, (real)-7), gLse(lse.size(), (real)-7), gDq(qn, (real)-7), gDk(kn, (real)-7),
        gDv(vn, (real)-7);
    std::vector<acc> dsum(lse.size());
    int warps = 4, rowsPerBlock = (seq + warps - 1) / warps;
    launch(rowsPerBlock, batch * heads, 32 * warps, [&] {
        flash_fwd(q.data(), k.data(), v.data(), c.lengths.data(), gOut.data(), gLse.data(), seq, heads, kvh, hd, hdv,
                  scale);
    });
    launch(rowsPerBlock, batch * heads, 32 * warps, [&] {
        flash_bwd_dq(q.data(), k.data(), v.data(), gOut.data(), gLse.data(), go.data(), c.lengths.data(), gDq.data(),
                     dsum.data(), seq, heads, kvh, hd, hdv, scale);
    });
    launch(rowsPerBlock, batch * kvh, 32 * warps, [&] {
        flash_bwd_dkdv(q.data(), k.data(), v.data(), gLse.data(), go.data(), c.lengths.data(), dsum.data(), gDk.data(),
                       gDv.data(), seq, heads, kvh, hd, hdv, scale);
    });
    double eOut = relError(gOut, out), eDq = relError(gDq, dq), eDk = relError(gDk, dk), eDv = relError(gDv, dv);
    double eLse = 0;
    for (size_t i = 0; i < lse.size(); i++) eLse = std::fmax(eLse, std::fabs((double)gLse[i] - lse[i]));
    std::printf("hd %d/%d heads %d kv %d seq %d lengths", hd, hdv, heads, kvh, seq);
    for (int l : c.lengths) std::printf(" %d", l);
    std::printf(": out %.2e lse %.2e dq %.2e dk %.2e dv %.2e\n", eOut, eLse, eDq, eDk, eDv);
    return std::fmax(std::fmax(eOut, eLse), std::fmax(eDq, std::fmax(eDk, eDv)));
}

int main(int argc, char** argv) {
    double bound = argc > 1 ? std::atof(argv[1]) : 1e-5;
    std::vector<Case> cases = {
        {16, 16, 4, 2, 13, {13, 6, 1}},  // GQA, ragged, a one-position row
        {192, 128, 3, 3, 11, {11, 7}},   // latent attention's head dims
        {40, 24, 4, 1, 9, {9}},          // narrower values in a group of 4
    };
    double worst = 0;
    unsigned seed = 1;
    for (const Case& c : cases) worst = std::fmax(worst, runCase(c, seed++));
    std::printf("worst %.3e (bound %.1e)\n", worst, bound);
    return worst <= bound ? 0 : 1;
}
