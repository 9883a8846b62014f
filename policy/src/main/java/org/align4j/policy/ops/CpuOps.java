package org.align4j.policy.ops;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU backend: matrix products go to ND4J's BLAS (into preallocated outputs, which measured ~5x
 * faster than allocating ND4J ops here), and element-wise kernels are plain loops over the arrays' host
 * memory, which costs no per-op dispatch and lets the JIT vectorise.
 */
final class CpuOps implements Ops {
    static final CpuOps INSTANCE = new CpuOps();

    private CpuOps() {
    }

    static int rows(INDArray a) {
        return Math.toIntExact(a.length() / a.size(a.rank() - 1));
    }

    static int cols(INDArray a) {
        return Math.toIntExact(a.size(a.rank() - 1));
    }

    /** One reusable chunk buffer per loading thread (direct memory is freed late by the GC: allocate it once). */
    private static final ThreadLocal<ByteBuffer> BF16_CHUNK = ThreadLocal.withInitial(Bf16::chunkBuffer);

    /** Widens chunk by chunk into the host copy: this backend computes in float32, bf16 values are exact in it. */
    @Override
    public void loadBf16(INDArray weight, Bf16Source source) {
        Bf16.requireLoadable(weight, source);
        FloatBuffer host = weight.data().asNioFloat();
        ByteBuffer chunk = BF16_CHUNK.get();
        long n = source.elements();
        for (long off = 0; off < n; off += Bf16Source.CHUNK_ELEMENTS) {
            Bf16.readChunk(source, off, chunk);
            Bf16.widen(chunk, host, Math.toIntExact(off));
        }
    }

    /** Frozen weights are rounded to bf16 values (emulation: products stay float32); trainable ones are left exact. */
    @Override
    public void holdInBf16(INDArray weight, boolean trainable) {
        Bf16.requireWholeFloatBuffer(weight);
        if (!trainable) {
            Bf16.roundInPlace(weight);
        }
    }

    @Override
    public void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
        if (!SplitGemm.run(a, b, c, transA, transB, alpha, beta)) {
            Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
        }
    }

    @Override
    public void bmm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        Nd4j.matmul(a, b, c, transA, transB, false);
    }

    @Override
    public void embeddingForward(int[] ids, INDArray table, INDArray out) {
        Buf t = Buf.of(table);
        Buf o = Buf.of(out);
        int d = cols(table);
        int vocab = rows(table);
        for (int n = 0; n < ids.length; n++) {
            int id = ids[n];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocab + ")");
            }
            int src = id * d;
            int dst = n * d;
            for (int j = 0; j < d; j++) {
                o.set(dst + j, t.get(src + j));
            }
        }
    }

    @Override
    public void embeddingBackward(int[] ids, INDArray dOut, INDArray dTable) {
        Buf g = Buf.of(dOut);
        Buf t = Buf.of(dTable);
        int d = cols(dTable);
        for (int n = 0; n < ids.length; n++) {
            int dst = ids[n] * d;
            int src = n * d;
            for (int j = 0; j < d; j++) {
                t.add(dst + j, g.get(src + j));
            }
        }
    }

    @Override
    public void rmsNormForward(INDArray x, INDArray w, INDArray out, INDArray rstd, double eps) {
        Buf xb = Buf.of(x);
        Buf wb = Buf.of(w);
        Buf ob = Buf.of(out);
        Buf rb = Buf.of(rstd);
        int n = rows(x);
        int d = cols(x);
        for (int r = 0; r < n; r++) {
            int base = r * d;
            double ss = 0;
            for (int j = 0; j < d; j++) {
                double v = xb.get(base + j);
                ss += v * v;
            }
            double s = 1.0 / Math.sqrt(ss / d + eps);
            rb.set(r, s);
            for (int j = 0; j < d; j++) {
                ob.set(base + j, xb.get(base + j) * s * wb.get(j));
            }
        }
    }

    @Override
    public void rmsNormBackward(INDArray dOut, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw) {
        Buf gb = Buf.of(dOut);
        Buf xb = Buf.of(x);
        Buf wb = Buf.of(w);
        Buf rb = Buf.of(rstd);
        Buf dxb = Buf.of(dx);
        Buf dwb = Buf.of(dw);
        int n = rows(x);
        int d = cols(x);
        for (int r = 0; r < n; r++) {
            int base = r * d;
            double s = rb.get(r);
            // y_j = x_j * s * w_j with s = (mean(x^2) + eps)^(-1/2):
            // dx_j = s * (g_j w_j) - x_j * s^3 / d * sum_k g_k w_k x_k
            double dot = 0;
            for (int j = 0; j < d; j++) {
                double g = gb.get(base + j);
                double xv = xb.get(base + j);
                dot += g * wb.get(j) * xv;
                dwb.add(j, g * xv * s);
            }
            double c = dot * s * s * s / d;
            for (int j = 0; j < d; j++) {
                dxb.add(base + j, s * gb.get(base + j) * wb.get(j) - xb.get(base + j) * c);
            }
        }
    }

    @Override
    public void addBias(INDArray y, INDArray b) {
        Buf yb = Buf.of(y);
        Buf bb = Buf.of(b);
        int n = rows(y);
        int d = cols(y);
        for (int r = 0; r < n; r++) {
            int base = r * d;
            for (int j = 0; j < d; j++) {
                yb.add(base + j, bb.get(j));
            }
        }
    }

    @Override
    public void biasBackward(INDArray dy, INDArray db) {
        Buf g = Buf.of(dy);
        Buf bb = Buf.of(db);
        int n = rows(dy);
        int d = cols(dy);
        for (int r = 0; r < n; r++) {
            int base = r * d;
            for (int j = 0; j < d; j++) {
                bb.add(j, g.get(base + j));
            }
        }
    }

    @Override
    public void rope(INDArray x, int[] positions, RopeTable table, boolean inverse) {
        Buf xb = Buf.of(x);
        int half = table.half();
        int hd = 2 * half;
        int n = positions.length;
        int heads = Math.toIntExact(x.length() / ((long) n * hd));
        int maxPos = 0;
        for (int p : positions) {
            maxPos = Math.max(maxPos, p);
        }
        table.ensure(maxPos + 1);
        double sign = inverse ? -1.0 : 1.0;
        for (int r = 0; r < n; r++) {
            int pos = positions[r];
            for (int h = 0; h < heads; h++) {
                int base = (r * heads + h) * hd;
                for (int i = 0; i < half; i++) {
                    double c = table.cos(pos, i);
                    double s = sign * table.sin(pos, i);
                    double a = xb.get(base + i);
                    double b = xb.get(base + i + half);
                    xb.set(base + i, a * c - b * s);
                    xb.set(base + i + half, b * c + a * s);
                }
            }
        }
    }

    @Override
    public void regroupHeads(INDArray rowsArr, INDArray grouped, int batch, int seq, int kvHeads, int group,
                             boolean toGrouped) {
        Buf r = Buf.of(rowsArr);
        Buf g = Buf.of(grouped);
        int heads = kvHeads * group;
        int hd = Math.toIntExact(rowsArr.length() / ((long) batch * seq * heads));
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int rowBase = ((b * seq) + t) * heads * hd;
                for (int kv = 0; kv < kvHeads; kv++) {
                    for (int q = 0; q < group; q++) {
                        int h = kv * group + q;
                        int src = rowBase + h * hd;
                        int dst = (((b * kvHeads + kv) * group + q) * seq + t) * hd;
                        if (toGrouped) {
                            for (int j = 0; j < hd; j++) {
                                g.set(dst + j, r.get(src + j));
                            }
                        } else {
                            for (int j = 0; j < hd; j++) {
                                r.set(src + j, g.get(dst + j));
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void causalSoftmax(INDArray scores, int seq, double scale) {
        Buf s = Buf.of(scores);
        int rowsN = rows(scores);
        Parallel.rows(rowsN, seq, (from, to) -> {
            double[] row = new double[seq];
            for (int r = from; r < to; r++) {
                int t = r % seq;
                int base = r * seq;
                int n = t + 1;
                s.read(base, row, n);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, row[j] * scale);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    double e = Math.exp(row[j] * scale - max);
                    row[j] = e;
                    sum += e;
                }
                double inv = 1.0 / sum;
                for (int j = 0; j < n; j++) {
                    row[j] *= inv;
                }
                java.util.Arrays.fill(row, n, seq, 0.0);
                s.write(base, row, seq);
            }
        });
    }

    @Override
    public void softmaxBackward(INDArray p, INDArray dScores, double scale) {
        Buf pb = Buf.of(p);
        Buf db = Buf.of(dScores);
        int rowsN = rows(p);
        int n = cols(p);
        Parallel.rows(rowsN, n, (from, to) -> {
            double[] pr = new double[n];
            double[] dr = new double[n];
            for (int r = from; r < to; r++) {
                int base = r * n;
                pb.read(base, pr, n);
                db.read(base, dr, n);
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += pr[j] * dr[j];
                }
                for (int j = 0; j < n; j++) {
                    dr[j] = pr[j] * (dr[j] - dot) * scale;
                }
                db.write(base, dr, n);
            }
        });
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    @Override
    public void swiGluForward(INDArray gate, INDArray up, INDArray h) {
        Buf g = Buf.of(gate);
        Buf u = Buf.of(up);
        Buf o = Buf.of(h);
        int rowsN = rows(gate);
        int n = cols(gate);
        Parallel.rows(rowsN, 8L * n, (from, to) -> {
            double[] gr = new double[n];
            double[] ur = new double[n];
            for (int r = from; r < to; r++) {
                g.read(r * n, gr, n);
                u.read(r * n, ur, n);
                for (int i = 0; i < n; i++) {
                    double x = gr[i];
                    ur[i] = x / (1.0 + Math.exp(-x)) * ur[i];
                }
                o.write(r * n, ur, n);
            }
        });
    }

    @Override
    public void swiGluBackward(INDArray dh, INDArray gate, INDArray up, INDArray dGate, INDArray dUp) {
        Buf d = Buf.of(dh);
        Buf g = Buf.of(gate);
        Buf u = Buf.of(up);
        Buf dg = Buf.of(dGate);
        Buf du = Buf.of(dUp);
        int rowsN = rows(gate);
        int n = cols(gate);
        Parallel.rows(rowsN, 8L * n, (from, to) -> {
            double[] dr = new double[n];
            double[] gr = new double[n];
            double[] ur = new double[n];
            for (int r = from; r < to; r++) {
                int base = r * n;
                d.read(base, dr, n);
                g.read(base, gr, n);
                u.read(base, ur, n);
                for (int i = 0; i < n; i++) {
                    double x = gr[i];
                    double sg = sigmoid(x);
                    double silu = x * sg;
                    gr[i] = dr[i] * ur[i] * (sg + silu * (1.0 - sg));
                    ur[i] = dr[i] * silu;
                }
                dg.write(base, gr, n);
                du.write(base, ur, n);
            }
        });
    }

    @Override
    public void logProbsAndEntropy(INDArray logits, int[] targets, INDArray logProb, INDArray entropy) {
        Buf l = Buf.of(logits);
        Buf lp = Buf.of(logProb);
        Buf en = Buf.of(entropy);
        int v = cols(logits);
        Parallel.rows(targets.length, 4L * v, (from, to) -> {
            double[] row = new double[v];
            for (int r = from; r < to; r++) {
                if (targets[r] < 0) {
                    lp.set(r, 0.0);
                    en.set(r, 0.0);
                    continue;
                }
                l.read(r * v, row, v);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, row[j]);
                }
                double sum = 0;
                double wsum = 0;
                for (int j = 0; j < v; j++) {
                    double z = row[j] - max;
                    double e = Math.exp(z);
                    sum += e;
                    wsum += e * z;
                }
                double logZ = Math.log(sum);
                lp.set(r, row[targets[r]] - max - logZ);
                // H = logZ - E_p[z] with z = logits - max
                en.set(r, logZ - wsum / sum);
            }
        });
    }

    @Override
    public void logProbsBackward(INDArray logits, int[] targets, INDArray dLogProb) {
        Buf l = Buf.of(logits);
        Buf g = Buf.of(dLogProb);
        int v = cols(logits);
        Parallel.rows(targets.length, 4L * v, (from, to) -> {
            double[] row = new double[v];
            for (int r = from; r < to; r++) {
                int base = r * v;
                double gr = targets[r] < 0 ? 0.0 : g.get(r);
                if (gr == 0.0) {
                    java.util.Arrays.fill(row, 0.0);
                    l.write(base, row, v);
                    continue;
                }
                l.read(base, row, v);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, row[j]);
                }
                double sum = 0;
                for (int j = 0; j < v; j++) {
                    double e = Math.exp(row[j] - max);
                    row[j] = e;
                    sum += e;
                }
                double scale = -gr / sum;
                for (int j = 0; j < v; j++) {
                    row[j] *= scale;
                }
                row[targets[r]] += gr;
                l.write(base, row, v);
            }
        });
    }

    @Override
    public void copy(INDArray src, INDArray dst) {
        Buf s = Buf.of(src);
        Buf d = Buf.of(dst);
        int n = Math.toIntExact(src.length());
        if (dst.length() != n) {
            throw new IllegalArgumentException("copy between arrays of different lengths");
        }
        for (int i = 0; i < n; i++) {
            d.set(i, s.get(i));
        }
    }

    @Override
    public void addInPlace(INDArray y, INDArray x) {
        Buf yb = Buf.of(y);
        Buf xb = Buf.of(x);
        int n = Math.toIntExact(y.length());
        for (int i = 0; i < n; i++) {
            yb.set(i, yb.get(i) + xb.get(i));
        }
    }

    @Override
    public void zero(INDArray x) {
        Buf b = Buf.of(x);
        int n = Math.toIntExact(x.length());
        for (int i = 0; i < n; i++) {
            b.set(i, 0.0);
        }
    }

    @Override
    public void scale(INDArray x, double s) {
        Buf b = Buf.of(x);
        int n = Math.toIntExact(x.length());
        for (int i = 0; i < n; i++) {
            b.set(i, b.get(i) * s);
        }
    }

    @Override
    public double sumSquares(INDArray x) {
        Buf b = Buf.of(x);
        int n = Math.toIntExact(x.length());
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = b.get(i);
            s += v * v;
        }
        return s;
    }

    @Override
    public boolean hasNonFinite(INDArray x) {
        Buf b = Buf.of(x);
        int n = Math.toIntExact(x.length());
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(b.get(i))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void adamW(INDArray param, INDArray grad, INDArray m, INDArray v, double lr, double beta1, double beta2,
                      double eps, double weightDecay, long t) {
        Buf p = Buf.of(param);
        Buf g = Buf.of(grad);
        Buf mb = Buf.of(m);
        Buf vb = Buf.of(v);
        int n = Math.toIntExact(param.length());
        double c1 = 1.0 - Math.pow(beta1, t);
        double c2 = 1.0 - Math.pow(beta2, t);
        double decay = 1.0 - lr * weightDecay;
        for (int i = 0; i < n; i++) {
            double gi = g.get(i);
            double mi = beta1 * mb.get(i) + (1 - beta1) * gi;
            double vi = beta2 * vb.get(i) + (1 - beta2) * gi * gi;
            mb.set(i, mi);
            vb.set(i, vi);
            double update = (mi / c1) / (Math.sqrt(vi / c2) + eps);
            p.set(i, p.get(i) * decay - lr * update);
        }
    }

    @Override
    public void writeKv(INDArray rowsArr, INDArray cache, int batch, int seq, int[] startPos) {
        Buf r = Buf.of(rowsArr);
        Buf c = Buf.of(cache);
        int kvHeads = Math.toIntExact(cache.size(1));
        int cap = Math.toIntExact(cache.size(2));
        int hd = Math.toIntExact(cache.size(3));
        for (int b = 0; b < batch; b++) {
            if (startPos[b] < 0) {
                continue;
            }
            for (int t = 0; t < seq; t++) {
                int pos = startPos[b] + t;
                if (pos >= cap) {
                    throw new IllegalStateException("KV cache full: position " + pos + " >= capacity " + cap);
                }
                int src = (b * seq + t) * kvHeads * hd;
                for (int kv = 0; kv < kvHeads; kv++) {
                    int dst = ((b * kvHeads + kv) * cap + pos) * hd;
                    for (int j = 0; j < hd; j++) {
                        c.set(dst + j, r.get(src + kv * hd + j));
                    }
                }
            }
        }
    }

    /** Host memory is not checked against an estimate (the JVM and the OS page it). */
    @Override
    public long deviceMemoryBytes() {
        return -1;
    }

    @Override
    public void flashAttentionForward(INDArray q, INDArray k, INDArray v, int[] lengths, int seq, double scale,
                                      INDArray out, INDArray lse) {
        AttentionDims d = AttentionDims.of(q, k, v, lengths, seq, lse);
        Buf qb = Buf.of(q);
        Buf kb = Buf.of(k);
        Buf vb = Buf.of(v);
        Buf ob = Buf.of(out);
        Buf lb = Buf.of(lse);
        int hd = d.hd;
        int hdV = d.hdV;
        // one task per (row, kv head): its keys and values are read once for the whole group of query heads
        Parallel.rows(d.batch * d.kvHeads, (long) seq * seq * (hd + hdV) * d.group, (from, to) -> {
            double[] keys = new double[seq * hd];
            double[] values = new double[seq * hdV];
            double[] qi = new double[hd];
            double[] acc = new double[hdV];
            for (int task = from; task < to; task++) {
                int b = task / d.kvHeads;
                int kv = task % d.kvHeads;
                int len = Math.min(lengths[b], seq);
                d.readKv(kb, vb, b, kv, len, keys, values);
                for (int g = 0; g < d.group; g++) {
                    int h = kv * d.group + g;
                    for (int t = 0; t < seq; t++) {
                        int qBase = (b * seq + t) * d.qWidth + h * hd;
                        int oBase = (b * seq + t) * d.heads * hdV + h * hdV;
                        int li = (b * d.heads + h) * seq + t;
                        if (t >= len) {
                            java.util.Arrays.fill(acc, 0);
                            ob.write(oBase, acc, hdV);
                            lb.set(li, 0);
                            continue;
                        }
                        qb.read(qBase, qi, hd);
                        java.util.Arrays.fill(acc, 0);
                        double m = Double.NEGATIVE_INFINITY;
                        double l = 0;
                        for (int j = 0; j <= t; j++) {
                            int ko = j * hd;
                            double sc = 0;
                            for (int i = 0; i < hd; i++) {
                                sc += qi[i] * keys[ko + i];
                            }
                            sc *= scale;
                            if (sc > m) {
                                // a new running maximum: rescale what was summed so far (online softmax)
                                double corr = Math.exp(m - sc);
                                l *= corr;
                                for (int i = 0; i < hdV; i++) {
                                    acc[i] *= corr;
                                }
                                m = sc;
                            }
                            double p = Math.exp(sc - m);
                            l += p;
                            int vo = j * hdV;
                            for (int i = 0; i < hdV; i++) {
                                acc[i] += p * values[vo + i];
                            }
                        }
                        for (int i = 0; i < hdV; i++) {
                            acc[i] /= l;
                        }
                        ob.write(oBase, acc, hdV);
                        lb.set(li, m + Math.log(l));
                    }
                }
            }
        });
    }

    @Override
    public void flashAttentionBackward(INDArray q, INDArray k, INDArray v, INDArray out, INDArray lse, INDArray dOut,
                                       int[] lengths, int seq, double scale, INDArray dq, INDArray dk, INDArray dv) {
        AttentionDims d = AttentionDims.of(q, k, v, lengths, seq, lse);
        Buf qb = Buf.of(q);
        Buf kb = Buf.of(k);
        Buf vb = Buf.of(v);
        Buf ob = Buf.of(out);
        Buf lb = Buf.of(lse);
        Buf gb = Buf.of(dOut);
        Buf dqb = Buf.of(dq);
        Buf dkb = Buf.of(dk);
        Buf dvb = Buf.of(dv);
        int hd = d.hd;
        int hdV = d.hdV;
        Parallel.rows(d.batch * d.kvHeads, 2L * seq * seq * (hd + hdV) * d.group, (from, to) -> {
            double[] keys = new double[seq * hd];
            double[] values = new double[seq * hdV];
            double[] dKeys = new double[seq * hd];
            double[] dValues = new double[seq * hdV];
            double[] qi = new double[hd];
            double[] oi = new double[hdV];
            double[] gi = new double[hdV];
            double[] dqi = new double[hd];
            double[] row = new double[Math.max(hd, hdV)];
            for (int task = from; task < to; task++) {
                int b = task / d.kvHeads;
                int kv = task % d.kvHeads;
                int len = Math.min(lengths[b], seq);
                d.readKv(kb, vb, b, kv, len, keys, values);
                java.util.Arrays.fill(dKeys, 0);
                java.util.Arrays.fill(dValues, 0);
                for (int g = 0; g < d.group; g++) {
                    int h = kv * d.group + g;
                    for (int t = 0; t < seq; t++) {
                        int qBase = (b * seq + t) * d.qWidth + h * hd;
                        int oBase = (b * seq + t) * d.heads * hdV + h * hdV;
                        java.util.Arrays.fill(dqi, 0);
                        if (t < len) {
                            qb.read(qBase, qi, hd);
                            ob.read(oBase, oi, hdV);
                            gb.read(oBase, gi, hdV);
                            double dsum = 0;
                            for (int i = 0; i < hdV; i++) {
                                dsum += gi[i] * oi[i];
                            }
                            double lse0 = lb.get((b * d.heads + h) * seq + t);
                            for (int j = 0; j <= t; j++) {
                                int ko = j * hd;
                                int vo = j * hdV;
                                double sc = 0;
                                double dp = 0;
                                for (int i = 0; i < hd; i++) {
                                    sc += qi[i] * keys[ko + i];
                                }
                                for (int i = 0; i < hdV; i++) {
                                    dp += gi[i] * values[vo + i];
                                }
                                double p = Math.exp(sc * scale - lse0);
                                double ds = p * (dp - dsum) * scale;
                                for (int i = 0; i < hdV; i++) {
                                    dValues[vo + i] += p * gi[i];
                                }
                                for (int i = 0; i < hd; i++) {
                                    dqi[i] += ds * keys[ko + i];
                                    dKeys[ko + i] += ds * qi[i];
                                }
                            }
                        }
                        dqb.write(qBase, dqi, hd);
                    }
                }
                for (int j = 0; j < seq; j++) {
                    System.arraycopy(dKeys, j * hd, row, 0, hd);
                    dkb.write((b * seq + j) * d.kvWidth + kv * hd, row, hd);
                    System.arraycopy(dValues, j * hdV, row, 0, hdV);
                    dvb.write((b * seq + j) * d.vWidth + kv * hdV, row, hdV);
                }
            }
        });
    }

    /**
     * The sizes of a fused attention call, read off its arrays: hd of the queries and keys, hdV of the values and
     * outputs (equal but for DeepSeek's latent attention: 192 and 128 in V2/V3).
     */
    private record AttentionDims(int batch, int heads, int kvHeads, int group, int hd, int hdV, int qWidth,
                                 int kvWidth, int vWidth, int seq) {
        static AttentionDims of(INDArray q, INDArray k, INDArray v, int[] lengths, int seq, INDArray lse) {
            int batch = lengths.length;
            int heads = Math.toIntExact(lse.length() / ((long) batch * seq));
            int qWidth = cols(q);
            int kvWidth = cols(k);
            int vWidth = cols(v);
            int hd = heads == 0 ? 0 : qWidth / heads;
            int kvHeads = hd == 0 ? 0 : kvWidth / hd;
            int hdV = kvHeads == 0 ? 0 : vWidth / kvHeads;
            if (rows(q) != batch * seq || rows(k) != batch * seq || rows(v) != batch * seq || heads * hd != qWidth
                    || kvHeads * hd != kvWidth || kvHeads == 0 || heads % kvHeads != 0 || kvHeads * hdV != vWidth
                    || hdV == 0) {
                throw new IllegalArgumentException("flash attention: q " + java.util.Arrays.toString(q.shape())
                        + ", k " + java.util.Arrays.toString(k.shape()) + ", v " + java.util.Arrays.toString(v.shape())
                        + ", lse " + lse.length() + " for batch " + batch + " x seq " + seq);
            }
            return new AttentionDims(batch, heads, kvHeads, heads / kvHeads, hd, hdV, qWidth, kvWidth, vWidth, seq);
        }

        /** Keys ([len, hd]) and values ([len, hdV]) of row b, kv head kv, positions [0, len). */
        void readKv(Buf kb, Buf vb, int b, int kv, int len, double[] keys, double[] values) {
            double[] row = new double[Math.max(hd, hdV)];
            for (int j = 0; j < len; j++) {
                kb.read((b * seq + j) * kvWidth + kv * hd, row, hd);
                System.arraycopy(row, 0, keys, j * hd, hd);
                vb.read((b * seq + j) * vWidth + kv * hdV, row, hdV);
                System.arraycopy(row, 0, values, j * hdV, hdV);
            }
        }
    }

    @Override
    public void decodeAttention(INDArray q, INDArray kCache, INDArray vCache, int[] lengths, INDArray out,
                                int group, double scale, INDArray scratch) {
        Buf qb = Buf.of(q);
        Buf kb = Buf.of(kCache);
        Buf vb = Buf.of(vCache);
        Buf ob = Buf.of(out);
        int kvHeads = Math.toIntExact(kCache.size(1));
        int cap = Math.toIntExact(kCache.size(2));
        int hd = Math.toIntExact(kCache.size(3));
        int heads = kvHeads * group;
        int batch = lengths.length;
        // one task per (row, kv head): its keys and values are read once, in bulk, for the whole group; a float32
        // cache (the model's) as float32, a float64 one (gradient checks) as float64
        boolean f32 = kCache.dataType() == DataType.FLOAT;
        Parallel.rows(batch * kvHeads, 4L * cap * hd * group, (from, to) -> {
            float[] keys32 = f32 ? new float[cap * hd] : null;
            float[] values32 = f32 ? new float[cap * hd] : null;
            double[] keys = f32 ? null : new double[cap * hd];
            double[] values = f32 ? null : new double[cap * hd];
            double[] qs = new double[group * hd];
            double[] os = new double[group * hd];
            double[] w = new double[cap];
            for (int task = from; task < to; task++) {
                int b = task / kvHeads;
                int kv = task % kvHeads;
                int len = lengths[b];
                if (len <= 0) {
                    continue;
                }
                int cacheBase = (b * kvHeads + kv) * cap * hd;
                if (f32) {
                    kb.read(cacheBase, keys32, len * hd);
                    vb.read(cacheBase, values32, len * hd);
                } else {
                    kb.read(cacheBase, keys, len * hd);
                    vb.read(cacheBase, values, len * hd);
                }
                int qBase = (b * heads + kv * group) * hd;
                qb.read(qBase, qs, group * hd);
                for (int g = 0; g < group; g++) {
                    if (f32) {
                        DecodeKernels.scores(qs, g * hd, keys32, len, hd, scale, w);
                    } else {
                        DecodeKernels.scores(qs, g * hd, keys, len, hd, scale, w);
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < len; j++) {
                        double e = Math.exp(w[j] - max);
                        w[j] = e;
                        sum += e;
                    }
                    for (int j = 0; j < len; j++) {
                        w[j] = w[j] / sum;
                    }
                    if (f32) {
                        DecodeKernels.weightedSum(w, values32, len, hd, os, g * hd);
                    } else {
                        DecodeKernels.weightedSum(w, values, len, hd, os, g * hd);
                    }
                }
                ob.write(qBase, os, group * hd);
            }
        });
    }

    @Override
    public void copyCacheRow(INDArray src, int srcRow, INDArray dst, int dstRow, int len) {
        // Bulk byte copies, one per head: each head's first len positions are contiguous in both caches.
        Buf.requireContiguous(src);
        Buf.requireContiguous(dst);
        int heads = Math.toIntExact(src.size(1));
        long srcCap = src.size(2);
        long dstCap = dst.size(2);
        long dim = src.size(3);
        int width = src.dataType().width();
        java.nio.ByteBuffer s = src.data().asNio();
        java.nio.ByteBuffer d = dst.data().asNio();
        int bytes = Math.toIntExact(len * dim * width);
        for (int h = 0; h < heads; h++) {
            long from = (src.offset() + ((long) srcRow * heads + h) * srcCap * dim) * width;
            long to = (dst.offset() + ((long) dstRow * heads + h) * dstCap * dim) * width;
            d.put(Math.toIntExact(to), s, Math.toIntExact(from), bytes);
        }
    }

    /** Rows a decoding part needs at least, so that its matrix products are not a handful of rows each. */
    private static final int MIN_DECODE_ROWS_PER_PART = 4;

    @Override
    public int decodeParts(int rows) {
        return Math.max(1, Math.min(Parallel.threads(), rows / MIN_DECODE_ROWS_PER_PART));
    }

    @Override
    public void inParts(int parts, java.util.function.IntConsumer body) {
        Parallel.parts(parts, body);
    }

    /** sampleTokens without truncation. */
    @Override
    public void sampleRows(INDArray logits, int rows, double invTemperature, boolean greedy, double[] uniforms,
                           int[] tokens, double[] logProbs) {
        sampleTokens(logits, rows, invTemperature, greedy, 0, 1.0, uniforms, tokens, logProbs);
    }

    /** Nothing to replay on the host: the step's ops run as called. */
    @Override
    public void repeatedStep(Object key, Runnable step, int[]... inputs) {
        step.run();
    }

    /** Throws IllegalArgumentException for a top_k below 0 or a top_p outside (0, 1]. */
    static void checkSampling(int topK, double topP) {
        if (topK < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("sampleTokens: top_k must be >= 0 and top_p in (0, 1], got " + topK
                    + " and " + topP);
        }
    }

    /** One reference sampler per thread: its work arrays are as long as the vocabulary. */
    private static final ThreadLocal<TokenDraw> DRAWS = ThreadLocal.withInitial(TokenDraw::new);

    @Override
    public void sampleTokens(INDArray logits, int rows, double invTemperature, boolean greedy, int topK, double topP,
                             double[] uniforms, int[] tokens, double[] logProbs) {
        checkSampling(topK, topP);
        Buf l = Buf.of(logits);
        int v = cols(logits);
        TokenDraw draw = DRAWS.get();
        for (int r = 0; r < rows; r++) {
            tokens[r] = draw.draw(l, r * v, v, invTemperature, greedy, topK, topP, greedy ? 0 : uniforms[r]);
            logProbs[r] = draw.lastLogProb();
        }
    }

    // ------------------------------------------------------------------ DeepSeek (MLA and MoE)

    @Override
    public void gatherHeads(INDArray rowsArr, int rowCol, int rowHeadStride, INDArray heads, int headCol, int width,
                            int batch, int seq, boolean toHeads) {
        Buf r = Buf.of(rowsArr);
        Buf h = Buf.of(heads);
        int rowWidth = cols(rowsArr);
        int headWidth = cols(heads);
        int nHeads = Math.toIntExact(heads.length() / ((long) batch * seq * headWidth));
        if ((long) batch * seq * rowWidth != rowsArr.length() || headCol + width > headWidth
                || rowCol + (long) (nHeads - 1) * rowHeadStride + width > rowWidth) {
            throw new IllegalArgumentException("gatherHeads: rows " + java.util.Arrays.toString(rowsArr.shape())
                    + " and heads " + java.util.Arrays.toString(heads.shape()) + " do not fit");
        }
        double[] seg = new double[width];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int rowBase = (b * seq + t) * rowWidth + rowCol;
                for (int hh = 0; hh < nHeads; hh++) {
                    int src = rowBase + hh * rowHeadStride;
                    int dst = ((b * nHeads + hh) * seq + t) * headWidth + headCol;
                    if (toHeads) {
                        r.read(src, seg, width);
                        h.write(dst, seg, width);
                    } else {
                        for (int j = 0; j < width; j++) {
                            r.add(src + j, h.get(dst + j));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void ropeSlice(INDArray x, int[] positions, RopeTable table, int headStride, int col, boolean interleaved,
                          boolean inverse) {
        Buf xb = Buf.of(x);
        int half = table.half();
        int n = positions.length;
        int width = cols(x);
        int heads = width / headStride;
        if (width % headStride != 0 || col + 2 * half > headStride || rows(x) != n) {
            throw new IllegalArgumentException("ropeSlice: x " + java.util.Arrays.toString(x.shape())
                    + " does not hold heads of " + headStride + " with rotary dims at " + col);
        }
        int maxPos = 0;
        for (int p : positions) {
            maxPos = Math.max(maxPos, p);
        }
        table.ensure(maxPos + 1);
        double sign = inverse ? -1.0 : 1.0;
        // pair i is (2i, 2i + 1) when interleaved and (i, i + half) otherwise
        int step = interleaved ? 2 : 1;
        int partner = interleaved ? 1 : half;
        for (int r = 0; r < n; r++) {
            int pos = positions[r];
            for (int h = 0; h < heads; h++) {
                int base = r * width + h * headStride + col;
                for (int i = 0; i < half; i++) {
                    double c = table.cos(pos, i);
                    double s = sign * table.sin(pos, i);
                    int ia = base + i * step;
                    int ib = ia + partner;
                    double a = xb.get(ia);
                    double b = xb.get(ib);
                    xb.set(ia, a * c - b * s);
                    xb.set(ib, b * c + a * s);
                }
            }
        }
    }

    @Override
    public void gatherRows(INDArray src, int[] rowsIdx, double[] scales, INDArray dst) {
        Buf s = Buf.of(src);
        Buf d = Buf.of(dst);
        int w = cols(src);
        double[] row = new double[w];
        for (int i = 0; i < rowsIdx.length; i++) {
            s.read(rowsIdx[i] * w, row, w);
            if (scales != null) {
                double k = scales[i];
                for (int j = 0; j < w; j++) {
                    row[j] *= k;
                }
            }
            d.write(i * w, row, w);
        }
    }

    @Override
    public void scatterAddRows(INDArray src, int[] rowsIdx, double[] scales, INDArray dst) {
        Buf s = Buf.of(src);
        Buf d = Buf.of(dst);
        int w = cols(dst);
        double[] in = new double[w];
        double[] acc = new double[w];
        for (int i = 0; i < rowsIdx.length; i++) {
            double k = scales == null ? 1.0 : scales[i];
            s.read(i * w, in, w);
            d.read(rowsIdx[i] * w, acc, w);
            for (int j = 0; j < w; j++) {
                acc[j] += k * in[j];
            }
            d.write(rowsIdx[i] * w, acc, w);
        }
    }

    @Override
    public double[] gatheredRowDots(INDArray a, int[] rowsIdx, INDArray b) {
        Buf ab = Buf.of(a);
        Buf bb = Buf.of(b);
        int w = cols(a);
        double[] ar = new double[w];
        double[] br = new double[w];
        double[] out = new double[rowsIdx.length];
        for (int i = 0; i < rowsIdx.length; i++) {
            ab.read(rowsIdx[i] * w, ar, w);
            bb.read(i * w, br, w);
            double dot = 0;
            for (int j = 0; j < w; j++) {
                dot += ar[j] * br[j];
            }
            out[i] = dot;
        }
        return out;
    }

    @Override
    public void latentDecodeAttention(INDArray qLatent, INDArray qRope, INDArray latentCache, INDArray ropeCache,
                                      int[] lengths, INDArray out, double scale) {
        Buf ql = Buf.of(qLatent);
        Buf qr = Buf.of(qRope);
        Buf lc = Buf.of(latentCache);
        Buf rc = Buf.of(ropeCache);
        Buf ob = Buf.of(out);
        int heads = Math.toIntExact(qLatent.size(0));
        int batch = lengths.length;
        int cap = Math.toIntExact(latentCache.size(2));
        int rank = Math.toIntExact(latentCache.size(3));
        int ropeDim = Math.toIntExact(ropeCache.size(3));
        // one task per row: its latents and rope keys are read once, in bulk, for all heads (they are shared)
        Parallel.rows(batch, 2L * cap * (rank + ropeDim) * heads, (from, to) -> {
            double[] lat = new double[cap * rank];
            double[] rope = new double[cap * ropeDim];
            double[] q = new double[rank];
            double[] qp = new double[ropeDim];
            double[] o = new double[rank];
            double[] w = new double[cap];
            for (int b = from; b < to; b++) {
                int len = lengths[b];
                if (len <= 0) {
                    continue;
                }
                lc.read(b * cap * rank, lat, len * rank);
                rc.read(b * cap * ropeDim, rope, len * ropeDim);
                for (int h = 0; h < heads; h++) {
                    int qi = h * batch + b;
                    ql.read(qi * rank, q, rank);
                    qr.read(qi * ropeDim, qp, ropeDim);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        double dot = 0;
                        int lo = j * rank;
                        for (int i = 0; i < rank; i++) {
                            dot += q[i] * lat[lo + i];
                        }
                        int ro = j * ropeDim;
                        for (int i = 0; i < ropeDim; i++) {
                            dot += qp[i] * rope[ro + i];
                        }
                        dot *= scale;
                        w[j] = dot;
                        max = Math.max(max, dot);
                    }
                    double sum = 0;
                    for (int j = 0; j < len; j++) {
                        double e = Math.exp(w[j] - max);
                        w[j] = e;
                        sum += e;
                    }
                    java.util.Arrays.fill(o, 0.0);
                    for (int j = 0; j < len; j++) {
                        double wj = w[j] / sum;
                        int lo = j * rank;
                        for (int i = 0; i < rank; i++) {
                            o[i] += wj * lat[lo + i];
                        }
                    }
                    ob.write(qi * rank, o, rank);
                }
            }
        });
    }

    @Override
    public void dropout(INDArray x, INDArray out, double p, long seed) {
        Buf xb = Buf.of(x);
        Buf ob = Buf.of(out);
        int n = Math.toIntExact(x.length());
        if (out.length() != n) {
            throw new IllegalArgumentException("dropout: " + n + " inputs, " + out.length() + " outputs");
        }
        double keepScale = 1.0 / (1.0 - p);
        for (int i = 0; i < n; i++) {
            ob.set(i, uniform(seed, i) < p ? 0.0 : xb.get(i) * keepScale);
        }
    }

    /** A uniform in [0, 1) from (seed, i): SplitMix64's finalizer over seed + i * golden ratio. */
    static double uniform(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    // ------------------------------------------------------------------ DeepSeekMoE (see MoeCpuKernels)

    @Override
    public void moeRoute(INDArray logits, INDArray bias, MoeGate gate, boolean[] valid, boolean replay, INDArray scores,
                         INDArray topExpert, INDArray topWeight) {
        MoeCpuKernels.route(logits, bias, gate, valid, replay, scores, topExpert, topWeight);
    }

    @Override
    public void moeRouteBackward(INDArray scores, INDArray topExpert, INDArray dTopWeight, INDArray dScores,
                                 MoeGate gate, INDArray dLogits) {
        MoeCpuKernels.routeBackward(scores, topExpert, dTopWeight, dScores, gate, dLogits);
    }

    @Override
    public void moeSortByExpert(INDArray topExpert, int experts, INDArray order, INDArray slotOf, INDArray offsets) {
        MoeCpuKernels.sortByExpert(topExpert, experts, order, slotOf, offsets);
    }

    @Override
    public void moeGather(INDArray src, INDArray order, int k, INDArray weight, int slots, INDArray dst) {
        MoeCpuKernels.gather(src, order, k, weight, slots, dst);
    }

    @Override
    public void moeCombine(INDArray src, INDArray slotOf, INDArray weight, INDArray dst) {
        MoeCpuKernels.combine(src, slotOf, weight, dst);
    }

    @Override
    public void moeCombineWeightGrad(INDArray dOut, INDArray src, INDArray slotOf, INDArray dWeight) {
        MoeCpuKernels.combineWeightGrad(dOut, src, slotOf, dWeight);
    }
}
