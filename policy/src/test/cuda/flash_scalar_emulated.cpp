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
#include "attention_reference.h"
#include "kernel.cu"

static double runCase(const AttentionCase& c, unsigned seed) {
    int batch = (int)c.lengths.size(), hd = c.hd, hdv = c.hdv, heads = c.heads, kvh = c.kvHeads, seq = c.seq;
    size_t qn = (size_t)batch * seq * heads * hd, kn = (size_t)batch * seq * kvh * hd;
    size_t on = (size_t)batch * seq * heads * hdv, vn = (size_t)batch * seq * kvh * hdv;
    std::mt19937 rng(seed);
    std::normal_distribution<double> nd(0, 1);
    std::vector<real> q(qn), k(kn), v(vn), go(on);
    for (auto* a : {&q, &k, &v, &go}) {
        for (auto& x : *a) x = (real)nd(rng);
    }
    double scale = 1 / std::sqrt((double)hd);
    AttentionReference want = attentionReference(c, widened(q), widened(k), widened(v), widened(go), scale);
    std::vector<real> gOut(on, (real)-7), gLse(want.lse.size(), (real)-7), gDq(qn, (real)-7), gDk(kn, (real)-7),
        gDv(vn, (real)-7);
    std::vector<acc> dsum(want.lse.size());
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
    double eOut = relError(gOut, want.out), eDq = relError(gDq, want.dq), eDk = relError(gDk, want.dk);
    double eDv = relError(gDv, want.dv), eLse = absError(gLse, want.lse);
    std::printf("hd %d/%d heads %d kv %d seq %d lengths", hd, hdv, heads, kvh, seq);
    for (int l : c.lengths) std::printf(" %d", l);
    std::printf(": out %.2e lse %.2e dq %.2e dk %.2e dv %.2e\n", eOut, eLse, eDq, eDk, eDv);
    return std::fmax(std::fmax(eOut, eLse), std::fmax(eDq, std::fmax(eDk, eDv)));
}

int main(int argc, char** argv) {
    double bound = argc > 1 ? std::atof(argv[1]) : 1e-5;
    std::vector<AttentionCase> cases = {
        {16, 16, 4, 2, 13, {13, 6, 1}},  // GQA, ragged, a one-position row
        {192, 128, 3, 3, 11, {11, 7}},   // latent attention's head dims
        {40, 24, 4, 1, 9, {9}},          // narrower values in a group of 4
    };
    double worst = 0;
    unsigned seed = 1;
    for (const AttentionCase& c : cases) worst = std::fmax(worst, runCase(c, seed++));
    std::printf("worst %.3e (bound %.1e)\n", worst, bound);
    return worst <= bound ? 0 : 1;
}
