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

    /** Wraps delegate and has it wait after each op (a GPU's queued work is timed where it runs, not where it waits). */
    public ProfilingOps(Ops delegate) {
        this.delegate = delegate;
        delegate.waitAfterEachOp(true);
    }

    private void record(String op, long start) {
        long[] s = stats.computeIfAbsent(op, k -> new long[2]);
        s[0] += System.nanoTime() - start;
        s[1]++;
    }

    /** Runs one call of the backend, adding its wall time and the call to op's totals. */
    private void timed(String op, Runnable call) {
        long start = System.nanoTime();
        call.run();
        record(op, start);
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
        timed("toHost", () -> delegate.toHost(x));
    }

    @Override
    public void editOnHost(Runnable edit, INDArray... arrays) {
        timed("editOnHost", () -> delegate.editOnHost(edit, arrays));
    }

    @Override
    public boolean reuseCaches() {
        return delegate.reuseCaches();
    }

    /** One part: the profile times each op on the wall clock, which parts running at once would blur. */
    @Override
    public int decodeParts(int rows) {
        return 1;
    }

    @Override
    public void inParts(int parts, java.util.function.IntConsumer body) {
        delegate.inParts(parts, body);
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
        timed("gemm", () -> delegate.gemm(a, b, c, transA, transB, alpha, beta));
    }

    @Override
    public void holdInBf16(INDArray weight, boolean trainable) {
        timed("holdInBf16", () -> delegate.holdInBf16(weight, trainable));
    }

    @Override
    public void waitAfterEachOp(boolean on) {
        delegate.waitAfterEachOp(on);
    }

    @Override
    public void useBf16Products(boolean on) {
        delegate.useBf16Products(on);
    }

    @Override
    public void loadBf16(INDArray weight, Bf16Source source) {
        timed("loadBf16", () -> delegate.loadBf16(weight, source));
    }

    @Override
    public void bmm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        timed("bmm", () -> delegate.bmm(a, b, c, transA, transB));
    }

    @Override
    public void embeddingForward(int[] ids, INDArray table, INDArray out) {
        timed("embeddingForward", () -> delegate.embeddingForward(ids, table, out));
    }

    @Override
    public void embeddingBackward(int[] ids, INDArray dOut, INDArray dTable) {
        timed("embeddingBackward", () -> delegate.embeddingBackward(ids, dOut, dTable));
    }

    @Override
    public void rmsNormForward(INDArray x, INDArray w, INDArray out, INDArray rstd, double eps) {
        timed("rmsNormForward", () -> delegate.rmsNormForward(x, w, out, rstd, eps));
    }

    @Override
    public void rmsNormBackward(INDArray dOut, INDArray x, INDArray w, INDArray rstd, INDArray dx, INDArray dw) {
        timed("rmsNormBackward", () -> delegate.rmsNormBackward(dOut, x, w, rstd, dx, dw));
    }

    @Override
    public void addBias(INDArray y, INDArray b) {
        timed("addBias", () -> delegate.addBias(y, b));
    }

    @Override
    public void biasBackward(INDArray dy, INDArray db) {
        timed("biasBackward", () -> delegate.biasBackward(dy, db));
    }

    @Override
    public void flashAttentionForward(INDArray q, INDArray k, INDArray v, int[] lengths, int seq, double scale,
                                      INDArray out, INDArray lse) {
        timed("flashAttentionForward", () -> delegate.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse));
    }

    @Override
    public void flashAttentionBackward(INDArray q, INDArray k, INDArray v, INDArray out, INDArray lse, INDArray dOut,
                                       int[] lengths, int seq, double scale, INDArray dq, INDArray dk, INDArray dv) {
        timed("flashAttentionBackward", () ->
                delegate.flashAttentionBackward(q, k, v, out, lse, dOut, lengths, seq, scale, dq, dk, dv));
    }

    @Override
    public void rope(INDArray x, int[] positions, RopeTable table, boolean inverse) {
        timed("rope", () -> delegate.rope(x, positions, table, inverse));
    }

    @Override
    public void regroupHeads(INDArray rows, INDArray grouped, int batch, int seq, int kvHeads, int group, boolean toGrouped) {
        timed("regroupHeads", () -> delegate.regroupHeads(rows, grouped, batch, seq, kvHeads, group, toGrouped));
    }

    @Override
    public void causalSoftmax(INDArray scores, int seq, double scale) {
        timed("causalSoftmax", () -> delegate.causalSoftmax(scores, seq, scale));
    }

    @Override
    public void softmaxBackward(INDArray p, INDArray dScores, double scale) {
        timed("softmaxBackward", () -> delegate.softmaxBackward(p, dScores, scale));
    }

    @Override
    public void swiGluForward(INDArray gate, INDArray up, INDArray h) {
        timed("swiGluForward", () -> delegate.swiGluForward(gate, up, h));
    }

    @Override
    public void swiGluBackward(INDArray dh, INDArray gate, INDArray up, INDArray dGate, INDArray dUp) {
        timed("swiGluBackward", () -> delegate.swiGluBackward(dh, gate, up, dGate, dUp));
    }

    @Override
    public void logProbsAndEntropy(INDArray logits, int[] targets, INDArray logProb, INDArray entropy) {
        timed("logProbsAndEntropy", () -> delegate.logProbsAndEntropy(logits, targets, logProb, entropy));
    }

    @Override
    public void logProbsBackward(INDArray logits, int[] targets, INDArray dLogProb) {
        timed("logProbsBackward", () -> delegate.logProbsBackward(logits, targets, dLogProb));
    }

    @Override
    public void copy(INDArray src, INDArray dst) {
        timed("copy", () -> delegate.copy(src, dst));
    }

    @Override
    public void addInPlace(INDArray y, INDArray x) {
        timed("addInPlace", () -> delegate.addInPlace(y, x));
    }

    @Override
    public void dropout(INDArray x, INDArray out, double p, long seed) {
        timed("dropout", () -> delegate.dropout(x, out, p, seed));
    }

    @Override
    public void zero(INDArray x) {
        timed("zero", () -> delegate.zero(x));
    }

    @Override
    public void scale(INDArray x, double s) {
        timed("scale", () -> delegate.scale(x, s));
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
        timed("adamW", () -> delegate.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, t));
    }

    @Override
    public void writeKv(INDArray rows, INDArray cache, int batch, int seq, int[] startPos) {
        timed("writeKv", () -> delegate.writeKv(rows, cache, batch, seq, startPos));
    }

    @Override
    public void decodeAttention(INDArray q, INDArray kCache, INDArray vCache, int[] lengths, INDArray out, int group, double scale, INDArray scratch) {
        timed("decodeAttention", () ->
                delegate.decodeAttention(q, kCache, vCache, lengths, out, group, scale, scratch));
    }

    @Override
    public void copyCacheRow(INDArray src, int srcRow, INDArray dst, int dstRow, int len) {
        timed("copyCacheRow", () -> delegate.copyCacheRow(src, srcRow, dst, dstRow, len));
    }

    @Override
    public void sampleRows(INDArray logits, int rows, double invTemperature, boolean greedy, double[] uniforms,
                           int[] tokens, double[] logProbs) {
        timed("sampleRows", () ->
                delegate.sampleRows(logits, rows, invTemperature, greedy, uniforms, tokens, logProbs));
    }

    /** Runs the step's ops one by one, as their own times are what a profile reports (no graph replay). */
    @Override
    public void repeatedStep(Object key, Runnable step, int[]... inputs) {
        step.run();
    }

    @Override
    public void sampleTokens(INDArray logits, int rows, double invTemperature, boolean greedy, int topK, double topP,
                             double[] uniforms, int[] tokens, double[] logProbs) {
        timed("sampleTokens", () ->
                delegate.sampleTokens(logits, rows, invTemperature, greedy, topK, topP, uniforms, tokens, logProbs));
    }

    @Override
    public void gatherHeads(INDArray rows, int rowCol, int rowHeadStride, INDArray heads, int headCol, int width,
                            int batch, int seq, boolean toHeads) {
        timed("gatherHeads", () ->
                delegate.gatherHeads(rows, rowCol, rowHeadStride, heads, headCol, width, batch, seq, toHeads));
    }

    @Override
    public void ropeSlice(INDArray x, int[] positions, RopeTable table, int headStride, int col, boolean interleaved,
                          boolean inverse) {
        timed("ropeSlice", () -> delegate.ropeSlice(x, positions, table, headStride, col, interleaved, inverse));
    }

    @Override
    public void gatherRows(INDArray src, int[] rows, double[] scales, INDArray dst) {
        timed("gatherRows", () -> delegate.gatherRows(src, rows, scales, dst));
    }

    @Override
    public void scatterAddRows(INDArray src, int[] rows, double[] scales, INDArray dst) {
        timed("scatterAddRows", () -> delegate.scatterAddRows(src, rows, scales, dst));
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
        timed("latentDecodeAttention", () ->
                delegate.latentDecodeAttention(qLatent, qRope, latentCache, ropeCache, lengths, out, scale));
    }

    @Override
    public void moeRoute(INDArray logits, INDArray bias, MoeGate gate, boolean[] valid, boolean replay, INDArray scores,
                         INDArray topExpert, INDArray topWeight) {
        timed("moeRoute", () -> delegate.moeRoute(logits, bias, gate, valid, replay, scores, topExpert, topWeight));
    }

    @Override
    public void moeRouteBackward(INDArray scores, INDArray topExpert, INDArray dTopWeight, INDArray dScores,
                                 MoeGate gate, INDArray dLogits) {
        timed("moeRouteBackward", () ->
                delegate.moeRouteBackward(scores, topExpert, dTopWeight, dScores, gate, dLogits));
    }

    @Override
    public void moeSortByExpert(INDArray topExpert, int experts, INDArray order, INDArray slotOf, INDArray offsets) {
        timed("moeSortByExpert", () -> delegate.moeSortByExpert(topExpert, experts, order, slotOf, offsets));
    }

    @Override
    public void moeGather(INDArray src, INDArray order, int k, INDArray weight, int slots, INDArray dst) {
        timed("moeGather", () -> delegate.moeGather(src, order, k, weight, slots, dst));
    }

    @Override
    public void moeCombine(INDArray src, INDArray slotOf, INDArray weight, INDArray dst) {
        timed("moeCombine", () -> delegate.moeCombine(src, slotOf, weight, dst));
    }

    @Override
    public void moeCombineWeightGrad(INDArray dOut, INDArray src, INDArray slotOf, INDArray dWeight) {
        timed("moeCombineWeightGrad", () -> delegate.moeCombineWeightGrad(dOut, src, slotOf, dWeight));
    }
}
