// Float64 causal attention, forward and backward, the reference of the fused-attention harnesses
// (flash_mma_emulated.cpp, flash_scalar_emulated.cpp): q [batch * seq, heads * hd], k [batch * seq, kvHeads * hd],
// v [batch * seq, kvHeads * hdv], dOut [batch * seq, heads * hdv]; query head h reads kv head h / (heads /
// kvHeads); query t < lengths[b] attends keys j <= t. Padded positions get 0 everywhere, as the kernels write them.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

struct AttentionCase {
    int hd, hdv, heads, kvHeads, seq;
    std::vector<int> lengths;
};

struct AttentionReference {
    std::vector<double> out, lse, dq, dk, dv;
};

static AttentionReference attentionReference(const AttentionCase& c, const std::vector<double>& q,
                                             const std::vector<double>& k, const std::vector<double>& v,
                                             const std::vector<double>& go, double scale) {
    int batch = (int)c.lengths.size(), hd = c.hd, hdv = c.hdv, heads = c.heads, kvh = c.kvHeads, seq = c.seq;
    int group = heads / kvh;
    AttentionReference r{std::vector<double>(go.size()), std::vector<double>((size_t)batch * heads * seq),
                         std::vector<double>(q.size()), std::vector<double>(k.size()), std::vector<double>(v.size())};
    for (int b = 0; b < batch; b++) {
        int len = std::min(c.lengths[b], seq);
        for (int h = 0; h < heads; h++) {
            int kv = h / group;
            for (int t = 0; t < len; t++) {
                const double* qr = &q[((size_t)(b * seq + t) * heads + h) * hd];
                const double* gr = &go[((size_t)(b * seq + t) * heads + h) * hdv];
                std::vector<double> s(t + 1);
                double m = -INFINITY, l = 0;
                for (int j = 0; j <= t; j++) {
                    const double* kr = &k[((size_t)(b * seq + j) * kvh + kv) * hd];
                    double d = 0;
                    for (int e = 0; e < hd; e++) d += qr[e] * kr[e];
                    s[j] = d * scale;
                    m = std::fmax(m, s[j]);
                }
                for (int j = 0; j <= t; j++) l += std::exp(s[j] - m);
                r.lse[((size_t)b * heads + h) * seq + t] = m + std::log(l);
                double D = 0;
                for (int e = 0; e < hdv; e++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) o += std::exp(s[j] - m) / l * v[((size_t)(b * seq + j) * kvh + kv) * hdv + e];
                    r.out[((size_t)(b * seq + t) * heads + h) * hdv + e] = o;
                    D += o * gr[e];
                }
                for (int j = 0; j <= t; j++) {
                    double p = std::exp(s[j] - m) / l, dp = 0;
                    const double* kr = &k[((size_t)(b * seq + j) * kvh + kv) * hd];
                    const double* vr = &v[((size_t)(b * seq + j) * kvh + kv) * hdv];
                    for (int e = 0; e < hdv; e++) dp += gr[e] * vr[e];
                    double ds = p * (dp - D) * scale;
                    for (int e = 0; e < hd; e++) {
                        r.dq[((size_t)(b * seq + t) * heads + h) * hd + e] += ds * kr[e];
                        r.dk[((size_t)(b * seq + j) * kvh + kv) * hd + e] += ds * qr[e];
                    }
                    for (int e = 0; e < hdv; e++) r.dv[((size_t)(b * seq + j) * kvh + kv) * hdv + e] += p * gr[e];
                }
            }
        }
    }
    return r;
}

/** Worst |got - want| over the largest |want|. */
template <class T>
static double relError(const std::vector<T>& got, const std::vector<double>& want) {
    double err = 0, big = 1e-30;
    for (size_t i = 0; i < got.size(); i++) {
        err = std::fmax(err, std::fabs((double)got[i] - want[i]));
        big = std::fmax(big, std::fabs(want[i]));
    }
    return err / big;
}

/** Worst |got - want| (log-sum-exps: absolute). */
template <class T>
static double absError(const std::vector<T>& got, const std::vector<double>& want) {
    double err = 0;
    for (size_t i = 0; i < got.size(); i++) err = std::fmax(err, std::fabs((double)got[i] - want[i]));
    return err;
}

template <class T>
static std::vector<double> widened(const std::vector<T>& a) {
    return std::vector<double>(a.begin(), a.end());
}
