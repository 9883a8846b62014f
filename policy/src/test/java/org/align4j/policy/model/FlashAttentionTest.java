package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused (online-softmax) causal attention of the CPU backend against the unfused path of {@link Attention}
 * (regroup, q k^T, causal softmax over [seq, seq], p v), in float64: outputs, and the gradients of q, k and v,
 * with grouped-query heads and ragged rows; and a finite-difference check of its backward pass.
 */
class FlashAttentionTest {
    private static final DataType F64 = DataType.DOUBLE;
    private final Ops ops = Ops.cpu();

    /** out = unfused attention of q, k, v rows; with dOut, also dq, dk, dv. */
    private void unfused(int batch, int seq, int heads, int kvHeads, int hd, int hdV, double scale, INDArray q,
                         INDArray k, INDArray v, INDArray out, INDArray dOut, INDArray dq, INDArray dk, INDArray dv) {
        int group = heads / kvHeads;
        long bk = (long) batch * kvHeads;
        INDArray qg = Nd4j.create(F64, bk, (long) group * seq, hd);
        INDArray kg = Nd4j.create(F64, bk, seq, hd);
        INDArray vg = Nd4j.create(F64, bk, seq, hdV);
        INDArray p = Nd4j.create(F64, bk, (long) group * seq, seq);
        INDArray og = Nd4j.create(F64, bk, (long) group * seq, hdV);
        ops.regroupHeads(q, qg, batch, seq, kvHeads, group, true);
        ops.regroupHeads(k, kg, batch, seq, kvHeads, 1, true);
        ops.regroupHeads(v, vg, batch, seq, kvHeads, 1, true);
        ops.bmm(qg, kg, p, false, true);
        ops.causalSoftmax(p, seq, scale);
        ops.bmm(p, vg, og, false, false);
        ops.regroupHeads(out, og, batch, seq, kvHeads, group, false);
        if (dOut == null) {
            return;
        }
        INDArray dOg = Nd4j.create(F64, bk, (long) group * seq, hdV);
        INDArray dS = Nd4j.create(F64, bk, (long) group * seq, seq);
        INDArray dQg = Nd4j.create(F64, bk, (long) group * seq, hd);
        INDArray dKg = Nd4j.create(F64, bk, seq, hd);
        INDArray dVg = Nd4j.create(F64, bk, seq, hdV);
        ops.regroupHeads(dOut, dOg, batch, seq, kvHeads, group, true);
        ops.bmm(dOg, vg, dS, false, true);
        ops.bmm(p, dOg, dVg, true, false);
        ops.softmaxBackward(p, dS, scale);
        ops.bmm(dS, kg, dQg, false, false);
        ops.bmm(dS, qg, dKg, true, false);
        ops.regroupHeads(dq, dQg, batch, seq, kvHeads, group, false);
        ops.regroupHeads(dk, dKg, batch, seq, kvHeads, 1, false);
        ops.regroupHeads(dv, dVg, batch, seq, kvHeads, 1, false);
    }

    private static double maxDiff(INDArray a, INDArray b) {
        return a.sub(b).amaxNumber().doubleValue();
    }

    /** Zeroes the rows of padded positions (t >= lengths[b]) of a [batch * seq, width] array. */
    private static void zeroPadding(INDArray rows, int[] lengths, int seq) {
        for (int b = 0; b < lengths.length; b++) {
            for (int t = lengths[b]; t < seq; t++) {
                rows.getRow((long) b * seq + t).assign(0);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"4,2,8,8,7,7", "4,4,4,4,6,3", "6,2,5,5,9,1", "2,1,16,16,5,5", "4,4,12,8,7,4", "3,1,6,10,8,2"})
    void matchesTheUnfusedPathWithGroupedHeadsAndRaggedRows(int heads, int kvHeads, int hd, int hdV, int seq,
                                                            int len1) {
        // hdV != hd: DeepSeek's latent attention (values of 128 against queries and keys of 192)
        Nd4j.getRandom().setSeed(heads * 100L + seq);
        int batch = 2;
        int[] lengths = {seq, len1};
        double scale = 1 / Math.sqrt(hd);
        INDArray q = Nd4j.randn(F64, batch * seq, heads * hd);
        INDArray k = Nd4j.randn(F64, batch * seq, kvHeads * hd);
        INDArray v = Nd4j.randn(F64, batch * seq, kvHeads * hdV);
        INDArray dOut = Nd4j.randn(F64, batch * seq, heads * hdV);
        zeroPadding(dOut, lengths, seq); // padded positions carry no loss
        INDArray want = Nd4j.create(F64, batch * seq, heads * hdV);
        INDArray dqWant = Nd4j.create(F64, q.shape());
        INDArray dkWant = Nd4j.create(F64, k.shape());
        INDArray dvWant = Nd4j.create(F64, v.shape());
        unfused(batch, seq, heads, kvHeads, hd, hdV, scale, q, k, v, want, dOut, dqWant, dkWant, dvWant);
        zeroPadding(want, lengths, seq);
        zeroPadding(dqWant, lengths, seq);

        INDArray out = Nd4j.randn(F64, batch * seq, heads * hdV); // overwritten
        INDArray lse = Nd4j.create(F64, (long) batch * heads * seq);
        ops.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse);
        assertTrue(maxDiff(want, out) < 1e-12, "out differs by " + maxDiff(want, out));
        INDArray dq = Nd4j.randn(F64, q.shape());
        INDArray dk = Nd4j.randn(F64, k.shape());
        INDArray dv = Nd4j.randn(F64, v.shape());
        ops.flashAttentionBackward(q, k, v, out, lse, dOut, lengths, seq, scale, dq, dk, dv);
        assertTrue(maxDiff(dqWant, dq) < 1e-12, "dq differs by " + maxDiff(dqWant, dq));
        assertTrue(maxDiff(dkWant, dk) < 1e-12, "dk differs by " + maxDiff(dkWant, dk));
        assertTrue(maxDiff(dvWant, dv) < 1e-12, "dv differs by " + maxDiff(dvWant, dv));
        // lse of a real query is log sum_j<=t exp(scale q.k_j)
        int h = heads - 1;
        int t = lengths[1] - 1;
        double s = 0;
        for (int j = 0; j <= t; j++) {
            s += Math.exp(scale * q.getRow((long) seq + t).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(h * hd,
                    h * hd + hd)).mul(k.getRow((long) seq + j).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(
                    (h / (heads / kvHeads)) * hd, (h / (heads / kvHeads)) * hd + hd))).sumNumber().doubleValue());
        }
        assertEquals(Math.log(s), lse.getDouble(((long) heads + h) * seq + t), 1e-12);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Nd4j.getRandom().setSeed(5);
        int batch = 2;
        int seq = 6;
        int heads = 4;
        int kvHeads = 2;
        int hd = 4;
        int hdV = 3; // values narrower than keys, as in latent attention
        int[] lengths = {6, 4};
        double scale = 0.4;
        INDArray q = Nd4j.randn(F64, batch * seq, heads * hd);
        INDArray k = Nd4j.randn(F64, batch * seq, kvHeads * hd);
        INDArray v = Nd4j.randn(F64, batch * seq, kvHeads * hdV);
        INDArray coef = Nd4j.randn(F64, batch * seq, heads * hdV);
        INDArray out = Nd4j.create(F64, batch * seq, heads * hdV);
        INDArray lse = Nd4j.create(F64, (long) batch * heads * seq);
        ops.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse);
        INDArray dq = Nd4j.create(F64, q.shape());
        INDArray dk = Nd4j.create(F64, k.shape());
        INDArray dv = Nd4j.create(F64, v.shape());
        ops.flashAttentionBackward(q, k, v, out, lse, coef, lengths, seq, scale, dq, dk, dv);
        java.util.function.DoubleSupplier loss = () -> {
            ops.flashAttentionForward(q, k, v, lengths, seq, scale, out, lse);
            return out.mul(coef).sumNumber().doubleValue();
        };
        GradCheck.check("q", q, dq, loss, 30, 1, 1e-6);
        GradCheck.check("k", k, dk, loss, 30, 2, 1e-6);
        GradCheck.check("v", v, dv, loss, 30, 3, 1e-6);
    }

    @Test
    void modelWithFusedAttentionGivesTheEagerLogProbsAndGradients() {
        fusedEqualsEager(CausalLMGradientTest.randomModel(CausalLMGradientTest.tiny(ModelConfig.QWEN2, false), 29));
    }

    /** DeepSeek's latent attention fused: values of v_head_dim against queries and keys of qk_head_dim. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"v2", "v3"})
    void latentAttentionFusedGivesTheEagerLogProbsAndGradients(String variant) {
        fusedEqualsEager(DeepSeekGradientTest.randomModel(DeepSeekGradientTest.tiny(variant), 31));
    }

    @Test
    void fusedLatentAttentionMatchesTransformers() throws java.io.IOException {
        fusedMatchesTransformers("model_deepseek_v3");
    }

    /** The fixture's model with fused attention: its log-probs within 1e-4 of transformers'. */
    private static CausalLM fusedMatchesTransformers(String fixture) throws java.io.IOException {
        java.nio.file.Path dir = HfConformanceTest.fixture(fixture);
        com.fasterxml.jackson.databind.JsonNode exp = HfConformanceTest.expected(dir);
        CausalLM m = HfCheckpoint.load(dir);
        m.setAttnImplementation(CausalLM.FLASH_ATTENTION_2);
        int[][] input = HfConformanceTest.ids(exp.get("input_ids"));
        double[][] lp = m.forward(TokenBatch.of(input)).tokenLogProbs();
        for (int r = 0; r < input.length; r++) {
            for (int t = 0; t < lp[r].length; t++) {
                assertEquals(exp.get("token_logprobs").get(r).get(t).asDouble(), lp[r][t], 1e-4);
            }
        }
        return m;
    }

    /** Log-probs and every gradient of eager's copies with fused attention (and checkpointing, a chunked head). */
    private static void fusedEqualsEager(CausalLM eager) {
        CausalLM flash = eager.copy();
        flash.setAttnImplementation(CausalLM.FLASH_ATTENTION_2);
        // with checkpointing and a chunked head too: the three memory savings compose
        CausalLM all = flash.copy();
        all.setGradientCheckpointing(true);
        all.setLmHeadChunkSize(5);
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(b, 8);
        double[][][] lp = new double[3][][];
        CausalLM[] models = {eager, flash, all};
        for (int i = 0; i < 3; i++) {
            lp[i] = CausalLMGradientTest.forwardBackward(models[i], b, coef);
        }
        for (int i = 1; i < 3; i++) {
            for (int r = 0; r < lp[0].length; r++) {
                for (int t = 0; t < lp[0][r].length; t++) {
                    assertEquals(lp[0][r][t], lp[i][r][t], 1e-12);
                }
            }
            for (Parameter p : eager.parameters()) {
                double d = maxDiff(p.grad(), models[i].parameter(p.name()).grad());
                assertTrue(d < 1e-11, p.name() + " differs by " + d);
            }
        }
        assertTrue(flash.workspaceBytes() < eager.workspaceBytes(), "no [seq, seq] probabilities kept");
        assertThrows(IllegalArgumentException.class, () -> flash.setAttnImplementation("sdpa"));
    }

    @Test
    void fusedAttentionMatchesTransformersAndDecodesGreedily() throws java.io.IOException {
        CausalLM m = fusedMatchesTransformers("model_llama");
        com.fasterxml.jackson.databind.JsonNode exp = HfConformanceTest.expected(HfConformanceTest.fixture("model_llama"));
        int[] prompt = HfConformanceTest.ids(exp.get("greedy_prompt"))[0];
        int[] want = HfConformanceTest.ids(exp.get("greedy_output"))[0];
        org.junit.jupiter.api.Assertions.assertArrayEquals(want,
                Greedy.generate(m, prompt, want.length - prompt.length));
    }
}
