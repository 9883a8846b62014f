package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The LM head over chunks of tokens gives the unchunked log-probs, entropies and gradients, without [tokens, vocab]. */
class ChunkedLmHeadTest {

    /** The batch of CausalLMGradientTest (3 rows, padded to 8: 24 grid rows) with chunks of 1, 5 and 7 rows. */
    @ParameterizedTest
    @ValueSource(ints = {1, 5, 7})
    void chunkedPassesEqualTheWholeBatchPass(int chunk) {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.LLAMA, false);
        CausalLM whole = CausalLMGradientTest.randomModel(c, 7);
        whole.setLmHeadChunkSize(0);
        CausalLM chunked = whole.copy();
        chunked.setLmHeadChunkSize(chunk);
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] coef = CausalLMGradientTest.coefficients(b, 3);

        whole.zeroGrad();
        Forward fw = whole.forward(b);
        double[][] lpWhole = fw.tokenLogProbs();
        double[][] entWhole = fw.tokenEntropies();
        fw.backward(coef);

        chunked.zeroGrad();
        Forward fc = chunked.forward(b);
        double[][] lpChunked = fc.tokenLogProbs();
        double[][] entChunked = fc.tokenEntropies();
        fc.backward(coef);
        assertFalse(chunked.holdsFullLogits(), "no [tokens, vocab] logits of the whole batch");

        for (int r = 0; r < lpWhole.length; r++) {
            for (int t = 0; t < lpWhole[r].length; t++) {
                assertEquals(lpWhole[r][t], lpChunked[r][t], 1e-13);
                assertEquals(entWhole[r][t], entChunked[r][t], 1e-13);
            }
        }
        for (Parameter p : whole.parameters()) {
            INDArray other = chunked.parameter(p.name()).grad();
            double diff = p.grad().sub(other).amaxNumber().doubleValue();
            assertTrue(diff < 1e-12, p.name() + ": |grad difference| = " + diff);
        }
    }

    @Test
    void chunkedGradientMatchesFiniteDifferences() {
        for (boolean tied : new boolean[] {false, true}) {
            CausalLM m = CausalLMGradientTest.randomModel(CausalLMGradientTest.tiny(ModelConfig.QWEN2, tied), 17);
            m.setLmHeadChunkSize(3);
            TokenBatch b = CausalLMGradientTest.batch();
            double[][] coef = CausalLMGradientTest.coefficients(b, 5);
            m.zeroGrad();
            m.forward(b).backward(coef);
            for (String name : new String[] {"model.embed_tokens.weight", "model.norm.weight",
                    "model.layers.1.mlp.down_proj.weight", "model.layers.0.self_attn.q_proj.weight"}) {
                Parameter p = m.parameter(name);
                GradCheck.check(p.name(), p.value(), p.grad(),
                        () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), coef), 8, 19, 1e-5);
            }
            if (!tied) {
                Parameter p = m.parameter("lm_head.weight");
                GradCheck.check(p.name(), p.value(), p.grad(),
                        () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), coef), 8, 19, 1e-5);
            }
            assertFalse(m.holdsFullLogits());
        }
    }

    @Test
    void logitsAreStillAvailableOnRequest() {
        CausalLM whole = CausalLMGradientTest.randomModel(CausalLMGradientTest.tiny(ModelConfig.LLAMA, true), 3);
        whole.setLmHeadChunkSize(0);
        CausalLM chunked = whole.copy();
        chunked.setLmHeadChunkSize(4);
        TokenBatch b = CausalLMGradientTest.batch();
        INDArray want = whole.forward(b).logits().dup();
        INDArray got = chunked.forward(b).logits();
        assertTrue(want.sub(got).amaxNumber().doubleValue() < 1e-13);
    }

    @Test
    void autoChunksFollowLigersRuleOnlyForLargeLogits() {
        Parameter w = new Parameter("h", org.nd4j.linalg.factory.Nd4j.zeros(1, 1), org.nd4j.linalg.factory.Nd4j.zeros(1, 1));
        LmHead qwen = new LmHead(Ops.cpu(), w, 151936, 1536);
        assertEquals(100, qwen.chunkRows(100), "100 x 151936 logits are under 2^24 elements: one chunk");
        // 16 x 1024 tokens: ceil(151936 / 1536) = 99, 16384 / 99 = 165.5 -> next power of two 256
        assertEquals(256, qwen.chunkRows(16384));
        qwen.setChunkSize(0);
        assertEquals(16384, qwen.chunkRows(16384));
        qwen.setChunkSize(512);
        assertEquals(512, qwen.chunkRows(16384));
        assertEquals(300, qwen.chunkRows(300));
        assertThrows(IllegalArgumentException.class, () -> qwen.setChunkSize(-2));
    }
}
