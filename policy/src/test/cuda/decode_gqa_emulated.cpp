// Runs decode_gqa.cu's decoding attention (grouped query heads in one block) on the CPU with emulation.h, whole
// and split across blocks (the partials merged as kernels.cu's decode_combine merges them), against float64
// attention over the cached positions; ragged rows, an empty row (left untouched), groups of 1 to 8 and head sizes
// 64 and 128. Prints the worst relative error and exits 1 when it passes the bound given as the first argument.
// Built with -DA4J_REAL=float or double.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "emulation.h"
#include "kernel.cu"

struct Case {
    int kvHeads, group, hd, cap, splits;
    std::vector<int> lengths;
};

static double runCase(const Case& c, unsigned seed) {
    int batch = (int)c.lengths.size(), heads = c.kvHeads * c.group, hd = c.hd;
    std::mt19937 rng(seed);
    std::normal_distribution<double> nd(0, 1);
    std::vector<real> q((size_t)batch * heads * hd), kc((size_t)batch * c.kvHeads * c.cap * hd), vc(kc.size());
    for (auto* a : {&q, &kc, &vc}) {
        for (auto& x : *a) x = (real)nd(rng);
    }
    double scale = 1 / std::sqrt((double)hd);
    std::vector<real> out(q.size(), (real)-7);
    int longest = 0;
    for (int l : c.lengths) longest = std::max(longest, l);
    int chunk = (longest + c.splits - 1) / c.splits;
    std::vector<acc> part((size_t)batch * heads * c.splits * (hd + 2), -5.0);
    size_t shared = sizeof(real) * ((size_t)c.group * hd + DG_CHUNK * (2 * hd + 1) + c.group * DG_CHUNK + 3 * DG_MAX_GROUP);
    launch(batch * c.kvHeads, c.splits, DG_THREADS, [&] {
        decode_attention_gqa(q.data(), kc.data(), vc.data(), c.lengths.data(), out.data(), part.data(), heads,
                             c.kvHeads, c.group, c.cap, hd, scale, c.splits == 1 ? longest : chunk);
    }, shared);
    if (c.splits > 1) { // decode_combine's merge
        for (int b = 0; b < batch; b++) {
            if (c.lengths[b] <= 0) continue;
            for (int h = 0; h < heads; h++) {
                const acc* pp = part.data() + ((size_t)b * heads + h) * c.splits * (hd + 2);
                double M = -INFINITY, L = 0;
                for (int s = 0; s < c.splits; s++) M = std::fmax(M, pp[s * (hd + 2)]);
                for (int s = 0; s < c.splits; s++)
                    if (pp[s * (hd + 2)] != -INFINITY) L += pp[s * (hd + 2) + 1] * std::exp(pp[s * (hd + 2)] - M);
                for (int e = 0; e < hd; e++) {
                    double t = 0;
                    for (int s = 0; s < c.splits; s++)
                        if (pp[s * (hd + 2)] != -INFINITY) t += pp[s * (hd + 2) + 2 + e] * std::exp(pp[s * (hd + 2)] - M);
                    out[((size_t)b * heads + h) * hd + e] = (real)(t / L);
                }
            }
        }
    }
    double err = 0, big = 1e-30;
    for (int b = 0; b < batch; b++) {
        int len = c.lengths[b];
        for (int h = 0; h < heads; h++) {
            int kv = h / c.group;
            const real* qh = q.data() + ((size_t)b * heads + h) * hd;
            const real* kb = kc.data() + ((size_t)b * c.kvHeads + kv) * c.cap * hd;
            const real* vb = vc.data() + ((size_t)b * c.kvHeads + kv) * c.cap * hd;
            std::vector<double> s(len);
            double m = -INFINITY, l = 0;
            for (int j = 0; j < len; j++) {
                double d = 0;
                for (int e = 0; e < hd; e++) d += (double)qh[e] * kb[(size_t)j * hd + e];
                s[j] = d * scale;
                m = std::fmax(m, s[j]);
            }
            for (int j = 0; j < len; j++) l += std::exp(s[j] - m);
            for (int e = 0; e < hd; e++) {
                double want = -7;
                if (len > 0) {
                    want = 0;
                    for (int j = 0; j < len; j++) want += std::exp(s[j] - m) / l * vb[(size_t)j * hd + e];
                }
                double got = out[((size_t)b * heads + h) * hd + e];
                err = std::fmax(err, std::fabs(got - want));
                big = std::fmax(big, std::fabs(want));
            }
        }
    }
    std::printf("kv %d group %d hd %d splits %d lengths", c.kvHeads, c.group, hd, c.splits);
    for (int l : c.lengths) std::printf(" %d", l);
    std::printf(": %.2e\n", err / big);
    return err / big;
}

int main(int argc, char** argv) {
    double bound = argc > 1 ? std::atof(argv[1]) : 1e-5;
    std::vector<Case> cases = {
        {2, 6, 128, 80, 1, {77, 1, 0, 33}}, // Qwen2.5-1.5B's group; a one-position and an empty row
        {2, 7, 64, 100, 1, {100, 64}},      // 0.5B's
        {1, 8, 128, 40, 1, {40}},           // the largest group
        {3, 1, 64, 50, 1, {50, 31}},        // no grouping
        {2, 6, 128, 200, 3, {200, 5, 0}},   // split across blocks, one split of row 1 empty
        {4, 2, 64, 130, 4, {130, 97}},
    };
    double worst = 0;
    unsigned seed = 1;
    for (const Case& c : cases) worst = std::fmax(worst, runCase(c, seed++));
    std::printf("worst %.3e (bound %.1e)\n", worst, bound);
    return worst <= bound ? 0 : 1;
}
