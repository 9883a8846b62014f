package org.align4j.policy.model;

import java.util.Arrays;

/**
 * DeepSeekMoE gating on the host: from router logits to each token's top-k experts and their weights, and the
 * gradient of the logits given the gradient of those weights (the choice of experts is a constant, as usual).
 * The model routes with the {@code moeRoute} op of its backend ({@link MoeFeedForward}); this class is the
 * independent reference the ops are tested against, and computes the balance loss (on the host, from the op's
 * scores and choices, only when its weight is positive).
 *
 * <ul>
 *   <li>V3 ({@code sigmoid}, {@code noaux_tc}): s = sigmoid(logits); experts are chosen on s + e_score_correction_bias
 *       (the bias steers selection only), within the topk_group groups whose two best biased scores sum highest;
 *       weights are the unbiased s of the chosen experts.</li>
 *   <li>V2 ({@code softmax}): s = softmax(logits); {@code greedy} takes the top-k overall,
 *       {@code group_limited_greedy} within the topk_group groups with the highest single score.</li>
 * </ul>
 * Then weights are optionally renormalised (norm_topk_prob; denominator + 1e-20 as transformers) and multiplied by
 * routed_scaling_factor. Experts outside the allowed groups compete with a score of 0, as in transformers.
 *
 * <p>The optional balance loss is DeepSeek-V3's complementary sequence-wise loss (eq. 17-20), which with softmax
 * scores is DeepSeek-V2's expert-level loss: per sequence of T tokens, alpha * sum_i f_i P_i with
 * f_i = N_r / (K T) * (tokens that chose expert i) and P_i = mean over tokens of s_i / sum_j s_j; averaged over the
 * sequences of the batch. Padding tokens take no part.
 */
final class MoeRouter {
    private final MoeConfig c;
    private final int experts;
    private final int k;
    private final int perGroup;

    MoeRouter(MoeConfig c) {
        this.c = c;
        this.experts = c.nRoutedExperts();
        this.k = c.numExpertsPerTok();
        this.perGroup = experts / c.nGroup();
    }

    /**
     * The routing of one pass: its (token, expert) slots sorted by expert, so that each expert's rows are
     * contiguous in the packed buffers.
     */
    static final class Routing {
        /** Rows of the pass. */
        final int rows;
        /** Scores s [rows * experts] (sigmoid or softmax of the logits). */
        final double[] scores;
        /** Chosen experts of each valid row [rows * k] (unused for invalid rows). */
        final int[] chosen;
        /** Slot i: token row, expert, and routed weight; slots of expert e are [start[e], start[e + 1]). */
        final int[] rowOf;
        final int[] expertOf;
        final double[] weightOf;
        final int[] start;
        /** Slot of (row, j-th choice) [rows * k], -1 for invalid rows. */
        final int[] slotOf;
        final boolean[] valid;
        /** Rows per sequence, for the balance loss. */
        final int seq;
        /** The balance loss (0 when its weight is 0) and its weight. */
        double auxLoss;
        final double auxWeight;

        Routing(int rows, int experts, int k, int slots, boolean[] valid, int seq, double auxWeight) {
            this.rows = rows;
            this.scores = new double[rows * experts];
            this.chosen = new int[rows * k];
            this.rowOf = new int[slots];
            this.expertOf = new int[slots];
            this.weightOf = new double[slots];
            this.start = new int[experts + 1];
            this.slotOf = new int[rows * k];
            this.valid = valid;
            this.seq = seq;
            this.auxWeight = auxWeight;
        }

        /** The routing computed elsewhere (by the routing op), for the balance loss: scores and choices only. */
        Routing(int rows, double[] scores, int[] chosen, boolean[] valid, int seq, double auxWeight) {
            this.rows = rows;
            this.scores = scores;
            this.chosen = chosen;
            this.rowOf = new int[0];
            this.expertOf = new int[0];
            this.weightOf = new double[0];
            this.start = new int[0];
            this.slotOf = new int[0];
            this.valid = valid;
            this.seq = seq;
            this.auxWeight = auxWeight;
        }

        int slots() {
            return rowOf.length;
        }
    }

    /**
     * Routes rows of logits [rows * experts] (row-major); bias is e_score_correction_bias (null without one);
     * valid null means every row is a token; seq is the number of rows per sequence (for the balance loss, whose
     * weight is auxWeight).
     */
    Routing route(double[] logits, int rows, double[] bias, boolean[] valid, int seq, double auxWeight) {
        int n = 0;
        for (int r = 0; r < rows; r++) {
            if (valid == null || valid[r]) {
                n++;
            }
        }
        Routing out = new Routing(rows, experts, k, n * k, valid, seq, auxWeight);
        double[] s = out.scores;
        double[] choice = new double[experts];
        double[] w = new double[k];
        int[] counts = new int[experts];
        for (int r = 0; r < rows; r++) {
            int base = r * experts;
            if (c.scoringFunc().equals(MoeConfig.SIGMOID)) {
                for (int e = 0; e < experts; e++) {
                    s[base + e] = 1.0 / (1.0 + Math.exp(-logits[base + e]));
                }
            } else {
                double max = Double.NEGATIVE_INFINITY;
                for (int e = 0; e < experts; e++) {
                    max = Math.max(max, logits[base + e]);
                }
                double sum = 0;
                for (int e = 0; e < experts; e++) {
                    s[base + e] = Math.exp(logits[base + e] - max);
                    sum += s[base + e];
                }
                for (int e = 0; e < experts; e++) {
                    s[base + e] /= sum;
                }
            }
            if (valid != null && !valid[r]) {
                Arrays.fill(out.slotOf, r * k, r * k + k, -1);
                continue;
            }
            for (int e = 0; e < experts; e++) {
                choice[e] = s[base + e] + (bias == null ? 0.0 : bias[e]);
            }
            maskGroups(choice);
            topK(choice, out.chosen, r * k);
            for (int j = 0; j < k; j++) {
                counts[out.chosen[r * k + j]]++;
            }
        }
        for (int e = 0; e < experts; e++) {
            out.start[e + 1] = out.start[e] + counts[e];
        }
        int[] next = Arrays.copyOf(out.start, experts);
        for (int r = 0; r < rows; r++) {
            if (valid != null && !valid[r]) {
                continue;
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                w[j] = s[r * experts + out.chosen[r * k + j]];
                sum += w[j];
            }
            for (int j = 0; j < k; j++) {
                double weight = c.normTopkProb() ? w[j] / (sum + 1e-20) : w[j];
                int e = out.chosen[r * k + j];
                int slot = next[e]++;
                out.rowOf[slot] = r;
                out.expertOf[slot] = e;
                out.weightOf[slot] = weight * c.routedScalingFactor();
                out.slotOf[r * k + j] = slot;
            }
        }
        if (auxWeight > 0) {
            out.auxLoss = balanceLoss(out, null);
        }
        return out;
    }

    /** Sets the scores of experts outside the topk_group best groups to 0 (transformers' masked_fill). */
    private void maskGroups(double[] choice) {
        if (c.topkMethod().equals(MoeConfig.GREEDY) || c.topkGroup() == c.nGroup()) {
            return;
        }
        int groups = c.nGroup();
        double[] groupScore = new double[groups];
        for (int g = 0; g < groups; g++) {
            double best = Double.NEGATIVE_INFINITY;
            double second = Double.NEGATIVE_INFINITY;
            for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
                if (choice[e] > best) {
                    second = best;
                    best = choice[e];
                } else if (choice[e] > second) {
                    second = choice[e];
                }
            }
            // V3 ranks a group by the sum of its two best experts, V2 by its best one
            groupScore[g] = c.topkMethod().equals(MoeConfig.NOAUX_TC) ? best + second : best;
        }
        int[] keep = new int[c.topkGroup()];
        topK(groupScore, keep, 0, c.topkGroup());
        boolean[] kept = new boolean[groups];
        for (int g : keep) {
            kept[g] = true;
        }
        for (int g = 0; g < groups; g++) {
            if (!kept[g]) {
                Arrays.fill(choice, g * perGroup, (g + 1) * perGroup, 0.0);
            }
        }
    }

    private void topK(double[] values, int[] out, int offset) {
        topK(values, out, offset, k);
    }

    /** Indices of the n largest values (the lower index first among equals), into out[offset..offset+n). */
    private static void topK(double[] values, int[] out, int offset, int n) {
        boolean[] taken = new boolean[values.length];
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int e = 0; e < values.length; e++) {
                if (!taken[e] && (best < 0 || values[e] > values[best])) {
                    best = e;
                }
            }
            taken[best] = true;
            out[offset + j] = best;
        }
    }

    /**
     * The balance loss of a routing; when dScores is given, adds its gradient with respect to the scores
     * (the f_i counts are constants).
     */
    double balanceLoss(Routing r, double[] dScores) {
        int seq = r.seq;
        int sequences = (r.rows + seq - 1) / seq;
        double total = 0;
        int counted = 0;
        double[] f = new double[experts];
        double[] p = new double[experts];
        for (int q = 0; q < sequences; q++) {
            int from = q * seq;
            int to = Math.min(r.rows, from + seq);
            int tokens = 0;
            for (int row = from; row < to; row++) {
                if (r.valid == null || r.valid[row]) {
                    tokens++;
                }
            }
            if (tokens > 0) {
                counted++;
            }
        }
        for (int q = 0; q < sequences; q++) {
            int from = q * seq;
            int to = Math.min(r.rows, from + seq);
            Arrays.fill(f, 0.0);
            Arrays.fill(p, 0.0);
            int tokens = 0;
            for (int row = from; row < to; row++) {
                if (r.valid != null && !r.valid[row]) {
                    continue;
                }
                tokens++;
                double z = 0;
                for (int e = 0; e < experts; e++) {
                    z += r.scores[row * experts + e];
                }
                for (int e = 0; e < experts; e++) {
                    p[e] += r.scores[row * experts + e] / z;
                }
                for (int j = 0; j < k; j++) {
                    f[r.chosen[row * k + j]] += 1;
                }
            }
            if (tokens == 0) {
                continue;
            }
            double loss = 0;
            for (int e = 0; e < experts; e++) {
                f[e] *= (double) experts / ((double) k * tokens);
                loss += f[e] * p[e] / tokens;
            }
            total += loss;
            if (dScores != null) {
                double coef = r.auxWeight / (tokens * (double) counted);
                for (int row = from; row < to; row++) {
                    if (r.valid != null && !r.valid[row]) {
                        continue;
                    }
                    // d/ds_e of s'_e = s_e / Z: (g_e - sum_j g_j s'_j) / Z with g = coef * f
                    double z = 0;
                    for (int e = 0; e < experts; e++) {
                        z += r.scores[row * experts + e];
                    }
                    double dot = 0;
                    for (int e = 0; e < experts; e++) {
                        dot += coef * f[e] * r.scores[row * experts + e] / z;
                    }
                    for (int e = 0; e < experts; e++) {
                        dScores[row * experts + e] += (coef * f[e] - dot) / z;
                    }
                }
            }
        }
        return counted == 0 ? 0.0 : r.auxWeight * total / counted;
    }

    /**
     * d(loss)/d(logits) [rows * experts] given d(loss)/d(weight) of each slot, plus the balance loss's gradient
     * when its weight is positive.
     */
    double[] backward(Routing r, double[] dWeightOfSlot) {
        double[] ds = new double[r.rows * experts];
        double[] g = new double[k];
        for (int row = 0; row < r.rows; row++) {
            if (r.valid != null && !r.valid[row]) {
                continue;
            }
            double sum = 0;
            double gs = 0;
            for (int j = 0; j < k; j++) {
                int e = r.chosen[row * k + j];
                g[j] = dWeightOfSlot[r.slotOf[row * k + j]] * c.routedScalingFactor();
                double sv = r.scores[row * experts + e];
                sum += sv;
                gs += g[j] * sv;
            }
            for (int j = 0; j < k; j++) {
                int e = r.chosen[row * k + j];
                if (c.normTopkProb()) {
                    double den = sum + 1e-20;
                    ds[row * experts + e] += g[j] / den - gs / (den * den);
                } else {
                    ds[row * experts + e] += g[j];
                }
            }
        }
        if (r.auxWeight > 0) {
            balanceLoss(r, ds);
        }
        double[] dLogits = new double[ds.length];
        for (int row = 0; row < r.rows; row++) {
            int base = row * experts;
            if (c.scoringFunc().equals(MoeConfig.SIGMOID)) {
                for (int e = 0; e < experts; e++) {
                    double sv = r.scores[base + e];
                    dLogits[base + e] = ds[base + e] * sv * (1.0 - sv);
                }
            } else {
                double dot = 0;
                for (int e = 0; e < experts; e++) {
                    dot += ds[base + e] * r.scores[base + e];
                }
                for (int e = 0; e < experts; e++) {
                    dLogits[base + e] = r.scores[base + e] * (ds[base + e] - dot);
                }
            }
        }
        return dLogits;
    }
}
