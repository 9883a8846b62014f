package org.align4j.policy.ops;

import java.nio.IntBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The CPU reference of the DeepSeekMoE ops of {@link Ops} (kept apart from {@link CpuOps} because it is one
 * concept). The routing arithmetic follows the model's host router step for step (same operation order, in
 * double), so the choices are identical to it.
 */
final class MoeCpuKernels {
    private MoeCpuKernels() {
    }

    static IntBuffer ints(INDArray a) {
        if (a.dataType() != DataType.INT) {
            throw new IllegalArgumentException("index array must be INT32, got " + a.dataType());
        }
        Buf.requireContiguous(a);
        IntBuffer b = a.data().asNioInt();
        b.position(Math.toIntExact(a.offset()));
        return b.slice();
    }

    private static int cols(INDArray a) {
        return Math.toIntExact(a.size(a.rank() - 1));
    }

    private static int rows(INDArray a) {
        return Math.toIntExact(a.length() / a.size(a.rank() - 1));
    }

    static void route(INDArray logits, INDArray bias, MoeGate gate, boolean[] valid, boolean replay, INDArray scores,
                      INDArray topExpert, INDArray topWeight) {
        int experts = gate.experts();
        int k = gate.k();
        int rows = rows(logits);
        Buf l = Buf.of(logits);
        Buf sOut = Buf.of(scores);
        Buf wOut = Buf.of(topWeight);
        IntBuffer top = ints(topExpert);
        double[] b = null;
        if (bias != null) {
            b = new double[experts];
            Buf.of(bias).read(0, b, experts);
        }
        double[] s = new double[experts];
        double[] choice = new double[experts];
        int[] chosen = new int[k];
        double[] w = new double[k];
        for (int r = 0; r < rows; r++) {
            l.read(r * experts, s, experts);
            scores(s, gate.sigmoid());
            sOut.write(r * experts, s, experts);
            if (valid != null && !valid[r]) {
                for (int j = 0; j < k; j++) {
                    top.put(r * k + j, -1);
                    wOut.set(r * k + j, 0.0);
                }
                continue;
            }
            if (replay && top.get(r * k) >= 0) {
                for (int j = 0; j < k; j++) {
                    chosen[j] = top.get(r * k + j);
                }
            } else {
                for (int e = 0; e < experts; e++) {
                    choice[e] = s[e] + (b == null ? 0.0 : b[e]);
                }
                maskGroups(choice, gate);
                topK(choice, chosen, k);
                for (int j = 0; j < k; j++) {
                    top.put(r * k + j, chosen[j]);
                }
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                w[j] = s[chosen[j]];
                sum += w[j];
            }
            for (int j = 0; j < k; j++) {
                double weight = gate.normTopkProb() ? w[j] / (sum + 1e-20) : w[j];
                wOut.set(r * k + j, weight * gate.scaling());
            }
        }
    }

    /** In place: logits to sigmoid or softmax scores. */
    private static void scores(double[] s, boolean sigmoid) {
        int n = s.length;
        if (sigmoid) {
            for (int e = 0; e < n; e++) {
                s[e] = 1.0 / (1.0 + Math.exp(-s[e]));
            }
            return;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < n; e++) {
            max = Math.max(max, s[e]);
        }
        double sum = 0;
        for (int e = 0; e < n; e++) {
            s[e] = Math.exp(s[e] - max);
            sum += s[e];
        }
        for (int e = 0; e < n; e++) {
            s[e] /= sum;
        }
    }

    private static void maskGroups(double[] choice, MoeGate gate) {
        if (!gate.groupLimited()) {
            return;
        }
        int groups = gate.groups();
        int perGroup = gate.experts() / groups;
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
            groupScore[g] = gate.groupRank() == MoeGate.GroupRank.TOP2_SUM ? best + second : best;
        }
        int[] keep = new int[gate.topkGroup()];
        topK(groupScore, keep, keep.length);
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

    /** Indices of the n largest values, the lower index first among equals. */
    private static void topK(double[] values, int[] out, int n) {
        boolean[] taken = new boolean[values.length];
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int e = 0; e < values.length; e++) {
                if (!taken[e] && (best < 0 || values[e] > values[best])) {
                    best = e;
                }
            }
            taken[best] = true;
            out[j] = best;
        }
    }

    static void routeBackward(INDArray scores, INDArray topExpert, INDArray dTopWeight, INDArray dScores,
                              MoeGate gate, INDArray dLogits) {
        int experts = gate.experts();
        int k = gate.k();
        int rows = rows(scores);
        Buf sb = Buf.of(scores);
        Buf dw = Buf.of(dTopWeight);
        Buf extra = dScores == null ? null : Buf.of(dScores);
        Buf out = Buf.of(dLogits);
        IntBuffer top = ints(topExpert);
        double[] s = new double[experts];
        double[] ds = new double[experts];
        double[] g = new double[k];
        for (int r = 0; r < rows; r++) {
            sb.read(r * experts, s, experts);
            if (extra != null) {
                extra.read(r * experts, ds, experts);
            } else {
                Arrays.fill(ds, 0.0);
            }
            if (top.get(r * k) >= 0) {
                double sum = 0;
                double gs = 0;
                for (int j = 0; j < k; j++) {
                    int e = top.get(r * k + j);
                    g[j] = dw.get(r * k + j) * gate.scaling();
                    sum += s[e];
                    gs += g[j] * s[e];
                }
                for (int j = 0; j < k; j++) {
                    int e = top.get(r * k + j);
                    if (gate.normTopkProb()) {
                        double den = sum + 1e-20;
                        ds[e] += g[j] / den - gs / (den * den);
                    } else {
                        ds[e] += g[j];
                    }
                }
            }
            if (gate.sigmoid()) {
                for (int e = 0; e < experts; e++) {
                    ds[e] = ds[e] * s[e] * (1.0 - s[e]);
                }
            } else {
                double dot = 0;
                for (int e = 0; e < experts; e++) {
                    dot += ds[e] * s[e];
                }
                for (int e = 0; e < experts; e++) {
                    ds[e] = s[e] * (ds[e] - dot);
                }
            }
            out.write(r * experts, ds, experts);
        }
    }

    static void sortByExpert(INDArray topExpert, int experts, INDArray order, INDArray slotOf, INDArray offsets) {
        IntBuffer top = ints(topExpert);
        IntBuffer ord = ints(order);
        IntBuffer inv = ints(slotOf);
        IntBuffer off = ints(offsets);
        int n = Math.toIntExact(topExpert.length());
        int[] start = new int[experts + 1];
        for (int i = 0; i < n; i++) {
            int e = top.get(i);
            if (e >= experts) {
                throw new IllegalArgumentException("expert id " + e + " out of range [0, " + experts + ")");
            }
            if (e >= 0) {
                start[e + 1]++;
            }
        }
        for (int e = 0; e < experts; e++) {
            start[e + 1] += start[e];
        }
        for (int e = 0; e <= experts; e++) {
            off.put(e, start[e]);
        }
        int[] next = Arrays.copyOf(start, experts);
        for (int i = 0; i < n; i++) {
            int e = top.get(i);
            if (e < 0) {
                inv.put(i, -1);
                continue;
            }
            int slot = next[e]++;
            ord.put(slot, i);
            inv.put(i, slot);
        }
        for (int i = start[experts]; i < n; i++) {
            ord.put(i, -1);
        }
    }

    static void gather(INDArray src, INDArray order, int k, INDArray weight, int slots, INDArray dst) {
        Buf s = Buf.of(src);
        Buf d = Buf.of(dst);
        Buf wb = weight == null ? null : Buf.of(weight);
        IntBuffer ord = ints(order);
        int w = cols(src);
        double[] row = new double[w];
        for (int i = 0; i < slots; i++) {
            int pair = ord.get(i);
            s.read((pair / k) * w, row, w);
            if (wb != null) {
                double c = wb.get(pair);
                for (int j = 0; j < w; j++) {
                    row[j] *= c;
                }
            }
            d.write(i * w, row, w);
        }
    }

    static void combine(INDArray src, INDArray slotOf, INDArray weight, INDArray dst) {
        Buf s = Buf.of(src);
        Buf d = Buf.of(dst);
        Buf wb = weight == null ? null : Buf.of(weight);
        IntBuffer inv = ints(slotOf);
        int w = cols(dst);
        int rows = rows(dst);
        int k = Math.toIntExact(slotOf.length() / rows);
        double[] in = new double[w];
        double[] acc = new double[w];
        int[] byslot = new int[k];
        for (int r = 0; r < rows; r++) {
            d.read(r * w, acc, w);
            int terms = sortedChoices(inv, r, k, byslot);
            for (int t = 0; t < terms; t++) {
                int j = byslot[t];
                int slot = inv.get(r * k + j);
                double c = wb == null ? 1.0 : wb.get(r * k + j);
                s.read(slot * w, in, w);
                for (int q = 0; q < w; q++) {
                    acc[q] += c * in[q];
                }
            }
            d.write(r * w, acc, w);
        }
    }

    /**
     * The choices j of row r that have a slot, in ascending slot order (= ascending expert), into out; returns their
     * number. Terms are added in this order so that results equal a scatter over the expert-sorted slots.
     */
    private static int sortedChoices(IntBuffer slotOf, int r, int k, int[] out) {
        int n = 0;
        for (int j = 0; j < k; j++) {
            int slot = slotOf.get(r * k + j);
            if (slot < 0) {
                continue;
            }
            int q = n++;
            while (q > 0 && slotOf.get(r * k + out[q - 1]) > slot) {
                out[q] = out[q - 1];
                q--;
            }
            out[q] = j;
        }
        return n;
    }

    static void combineWeightGrad(INDArray dOut, INDArray src, INDArray slotOf, INDArray dWeight) {
        Buf a = Buf.of(dOut);
        Buf b = Buf.of(src);
        Buf out = Buf.of(dWeight);
        IntBuffer inv = ints(slotOf);
        int w = cols(dOut);
        int rows = rows(dOut);
        int k = cols(dWeight);
        double[] ar = new double[w];
        double[] br = new double[w];
        for (int r = 0; r < rows; r++) {
            a.read(r * w, ar, w);
            for (int j = 0; j < k; j++) {
                int slot = inv.get(r * k + j);
                double dot = 0;
                if (slot >= 0) {
                    b.read(slot * w, br, w);
                    for (int q = 0; q < w; q++) {
                        dot += ar[q] * br[q];
                    }
                }
                out.set(r * k + j, dot);
            }
        }
    }
}
