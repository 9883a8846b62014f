package org.align4j.policy.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Wraps a backend and accumulates wall time and call counts per operation, to see where a training or
 * sampling step spends its time (align4j bench --profile). Single-threaded use, like the model.
 */
public final class ProfilingOps implements Ops {
    private final Ops delegate;
    private final Map<String, long[]> stats = new TreeMap<>();

    public ProfilingOps(Ops delegate) {
        this.delegate = delegate;
    }

    private void record(String op, long start) {
        long[] s = stats.computeIfAbsent(op, k -> new long[2]);
        s[0] += System.nanoTime() - start;
        s[1]++;
    }

    /** Milliseconds and calls per operation since the last reset, largest time first. */
    public Map<String, double[]> report() {
        Map<String, double[]> out = new LinkedHashMap<>();
        stats.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> out.put(e.getKey(), new double[] {e.getValue()[0] / 1e6, e.getValue()[1]}));
        return out;
    }

    public void reset() {
        stats.clear();
    }

    @Override
    public void toHost(INDArray x) {
        long start = System.nanoTime();
        delegate.toHost(x);
        record("toHost", start);
    }

    @Override
    public void editOnHost(Runnable edit, INDArray... arrays) {
        long start = System.nanoTime();
        delegate.editOnHost(edit, arrays);
        record("editOnHost", start);
    }

    @Override
    public boolean reuseCaches() {
        return delegate.reuseCaches();
    }

    @Override
    public long deviceMemoryBytes() {
        return delegate.deviceMemoryBytes();
    }

    @Override
    public String name() {
        return delegate.name() + "+profile";
    }

    @Override
    public void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
        long start = System.nanoTime();
        delegate.gemm(a, b, c, transA, transB, alpha, beta);
        record("gemm", start);
    }

    @Override
    public void holdInBf16(INDArray weight, boolean trainable) {
        long start = System.nanoTime();
        delegate.holdInBf16(weight, trainable);
        record("holdInBf16", start);
    }

    @Override
    public void bmm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        long start = System.nanoTime();
        delegate.bmm(a, b, c, transA, transB);
        record("bmm", start);
    }

    @Override
    public void embeddingForward(int[] ids, INDArray table, INDArray out) {
        long start = System.nanoTime();
        delegate.embeddingForward(ids, table, out);
        record("embeddingForward", start);
    }

    @Override
    public void embeddingBackward(int[] ids, INDArray dOut, INDArray dTable) {
        long start = System.nanoTime();
        delegate.embeddingBackward(ids, dOut, dTable);
        record("embeddingBackward", start);
    }

    @Override
    public void rmsNormForward(INDArray x, INDArray w, INDArray out, INDArray rstd, double eps) {
        long start = System.nanoTime();
        delegate.rmsNormForward(x, w, out, rstd, eps);
        record("rmsNormForward", start);
    }

    @Override
    public void rmsNormBackward(INDArray dOut, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw) {
        long start = System.nanoTime();
        delegate.rmsNormBackward(dOut, x, w, rstd, dx, dw);
        record("rmsNormBackward", start);
    }

    @Override
    public void addBias(INDArray y, INDArray b) {
        long start = System.nanoTime();
        delegate.addBias(y, b);
        record("addBias", start);
    }

    @Override
    public void biasBackward(INDArray dy, INDArray db) {
        long start = System.nanoTime();
        delegate.biasBackward(dy, db);
        record("biasBackward", start);
    }

    @Override
    public void flashAttentionForward(INDArray q, INDArray k, INDArray v, int[] lengths, int seq, double scale,
                                      INDArray out, INDArray lse) {
        long start = System.nanoTime();
        delegate.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse);
        record("flashAttentionForward", start);
    }

    @Override
    public void flashAttentionBackward(INDArray q, INDArray k, INDArray v, INDArray out, INDArray lse, INDArray dOut,
                                       int[] lengths, int seq, double scale, INDArray dq, INDArray dk, INDArray dv) {
        long start = System.nanoTime();
        delegate.flashAttentionBackward(q, k, v, out, lse, dOut, lengths, seq, scale, dq, dk, dv);
        record("flashAttentionBackward", start);
    }

    @Override
    public void rope(INDArray x, int[] positions, RopeTable table, boolean inverse) {
        long start = System.nanoTime();
        delegate.rope(x, positions, table, inverse);
        record("rope", start);
    }

    @Override
    public void regroupHeads(INDArray rows, INDArray grouped, int batch, int seq, int kvHeads, int group, boolean toGrouped) {
        long start = System.nanoTime();
        delegate.regroupHeads(rows, grouped, batch, seq, kvHeads, group, toGrouped);
        record("regroupHeads", start);
    }

    @Override
    public void causalSoftmax(INDArray scores, int seq, double scale) {
        long start = System.nanoTime();
        delegate.causalSoftmax(scores, seq, scale);
        record("causalSoftmax", start);
    }

    @Override
    public void softmaxBackward(INDArray p, INDArray dScores, double scale) {
        long start = System.nanoTime();
        delegate.softmaxBackward(p, dScores, scale);
        record("softmaxBackward", start);
    }

    @Override
    public void swiGluForward(INDArray gate, INDArray up, INDArray h) {
        long start = System.nanoTime();
        delegate.swiGluForward(gate, up, h);
        record("swiGluForward", start);
    }

    @Override
    public void swiGluBackward(INDArray dh, INDArray gate, INDArray up, INDArray dGate, INDArray dUp) {
        long start = System.nanoTime();
        delegate.swiGluBackward(dh, gate, up, dGate, dUp);
        record("swiGluBackward", start);
    }

    @Override
    public void logProbsAndEntropy(INDArray logits, int[] targets, INDArray logProb, INDArray entropy) {
        long start = System.nanoTime();
        delegate.logProbsAndEntropy(logits, targets, logProb, entropy);
        record("logProbsAndEntropy", start);
    }

    @Override
    public void logProbsBackward(INDArray logits, int[] targets, INDArray dLogProb) {
        long start = System.nanoTime();
        delegate.logProbsBackward(logits, targets, dLogProb);
        record("logProbsBackward", start);
    }

    @Override
    public void copy(INDArray src, INDArray dst) {
        long start = System.nanoTime();
        delegate.copy(src, dst);
        record("copy", start);
    }

    @Override
    public void addInPlace(INDArray y, INDArray x) {
        long start = System.nanoTime();
        delegate.addInPlace(y, x);
        record("addInPlace", start);
    }

    @Override
    public void dropout(INDArray x, INDArray out, double p, long seed) {
        long start = System.nanoTime();
        delegate.dropout(x, out, p, seed);
        record("dropout", start);
    }

    @Override
    public void zero(INDArray x) {
        long start = System.nanoTime();
        delegate.zero(x);
        record("zero", start);
    }

    @Override
    public void scale(INDArray x, double s) {
        long start = System.nanoTime();
        delegate.scale(x, s);
        record("scale", start);
    }

    @Override
    public double sumSquares(INDArray x) {
        long start = System.nanoTime();
        double r = delegate.sumSquares(x);
        record("sumSquares", start);
        return r;
    }

    @Override
    public boolean hasNonFinite(INDArray x) {
        long start = System.nanoTime();
        boolean r = delegate.hasNonFinite(x);
        record("hasNonFinite", start);
        return r;
    }

    @Override
    public void adamW(INDArray param, INDArray grad, INDArray m, INDArray v, double lr, double beta1, double beta2, double eps, double weightDecay, long t) {
        long start = System.nanoTime();
        delegate.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, t);
        record("adamW", start);
    }

    @Override
    public void writeKv(INDArray rows, INDArray cache, int batch, int seq, int[] startPos) {
        long start = System.nanoTime();
        delegate.writeKv(rows, cache, batch, seq, startPos);
        record("writeKv", start);
    }

    @Override
    public void decodeAttention(INDArray q, INDArray kCache, INDArray vCache, int[] lengths, INDArray out, int group, double scale, INDArray scratch) {
        long start = System.nanoTime();
        delegate.decodeAttention(q, kCache, vCache, lengths, out, group, scale, scratch);
        record("decodeAttention", start);
    }

    @Override
    public void copyCacheRow(INDArray src, int srcRow, INDArray dst, int dstRow, int len) {
        long start = System.nanoTime();
        delegate.copyCacheRow(src, srcRow, dst, dstRow, len);
        record("copyCacheRow", start);
    }

    @Override
    public void sampleRows(INDArray logits, int rows, double invTemperature, boolean greedy, double[] uniforms,
                           int[] tokens, double[] logProbs) {
        long start = System.nanoTime();
        delegate.sampleRows(logits, rows, invTemperature, greedy, uniforms, tokens, logProbs);
        record("sampleRows", start);
    }

    /** Runs the step's ops one by one, as their own times are what a profile reports (no graph replay). */
    @Override
    public void repeatedStep(Object key, Runnable step, int[]... inputs) {
        step.run();
    }

    @Override
    public void sampleTokens(INDArray logits, int rows, double invTemperature, boolean greedy, int topK, double topP,
                             double[] uniforms, int[] tokens, double[] logProbs) {
        long start = System.nanoTime();
        delegate.sampleTokens(logits, rows, invTemperature, greedy, topK, topP, uniforms, tokens, logProbs);
        record("sampleTokens", start);
    }

    @Override
    public void gatherHeads(INDArray rows, int rowCol, int rowHeadStride, INDArray heads, int headCol, int width,
                            int batch, int seq, boolean toHeads) {
        long start = System.nanoTime();
        delegate.gatherHeads(rows, rowCol, rowHeadStride, heads, headCol, width, batch, seq, toHeads);
        record("gatherHeads", start);
    }

    @Override
    public void ropeSlice(INDArray x, int[] positions, RopeTable table, int headStride, int col, boolean interleaved,
                          boolean inverse) {
        long start = System.nanoTime();
        delegate.ropeSlice(x, positions, table, headStride, col, interleaved, inverse);
        record("ropeSlice", start);
    }

    @Override
    public void gatherRows(INDArray src, int[] rows, double[] scales, INDArray dst) {
        long start = System.nanoTime();
        delegate.gatherRows(src, rows, scales, dst);
        record("gatherRows", start);
    }

    @Override
    public void scatterAddRows(INDArray src, int[] rows, double[] scales, INDArray dst) {
        long start = System.nanoTime();
        delegate.scatterAddRows(src, rows, scales, dst);
        record("scatterAddRows", start);
    }

    @Override
    public double[] gatheredRowDots(INDArray a, int[] rows, INDArray b) {
        long start = System.nanoTime();
        double[] out = delegate.gatheredRowDots(a, rows, b);
        record("gatheredRowDots", start);
        return out;
    }

    @Override
    public void latentDecodeAttention(INDArray qLatent, INDArray qRope, INDArray latentCache, INDArray ropeCache,
                                      int[] lengths, INDArray out, double scale) {
        long start = System.nanoTime();
        delegate.latentDecodeAttention(qLatent, qRope, latentCache, ropeCache, lengths, out, scale);
        record("latentDecodeAttention", start);
    }

    @Override
    public void moeRoute(INDArray logits, INDArray bias, MoeGate gate, boolean[] valid, boolean replay, INDArray scores,
                         INDArray topExpert, INDArray topWeight) {
        long start = System.nanoTime();
        delegate.moeRoute(logits, bias, gate, valid, replay, scores, topExpert, topWeight);
        record("moeRoute", start);
    }

    @Override
    public void moeRouteBackward(INDArray scores, INDArray topExpert, INDArray dTopWeight, INDArray dScores,
                                 MoeGate gate, INDArray dLogits) {
        long start = System.nanoTime();
        delegate.moeRouteBackward(scores, topExpert, dTopWeight, dScores, gate, dLogits);
        record("moeRouteBackward", start);
    }

    @Override
    public void moeSortByExpert(INDArray topExpert, int experts, INDArray order, INDArray slotOf, INDArray offsets) {
        long start = System.nanoTime();
        delegate.moeSortByExpert(topExpert, experts, order, slotOf, offsets);
        record("moeSortByExpert", start);
    }

    @Override
    public void moeGather(INDArray src, INDArray order, int k, INDArray weight, int slots, INDArray dst) {
        long start = System.nanoTime();
        delegate.moeGather(src, order, k, weight, slots, dst);
        record("moeGather", start);
    }

    @Override
    public void moeCombine(INDArray src, INDArray slotOf, INDArray weight, INDArray dst) {
        long start = System.nanoTime();
        delegate.moeCombine(src, slotOf, weight, dst);
        record("moeCombine", start);
    }

    @Override
    public void moeCombineWeightGrad(INDArray dOut, INDArray src, INDArray slotOf, INDArray dWeight) {
        long start = System.nanoTime();
        delegate.moeCombineWeightGrad(dOut, src, slotOf, dWeight);
        record("moeCombineWeightGrad", start);
    }
}
