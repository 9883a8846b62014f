package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.KvCache;
import org.align4j.policy.model.TokenBatch;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Decoding on the KV cache the way the sampler does (prefill once, copy rows, decode some rows while
 * others are inactive, move rows to a smaller cache) gives the logits of a full forward pass.
 */
class KvCacheDecodingTest {

    @Test
    void sharedPrefillPartialDecodingAndCompactionMatchTheFullForward() {
        CausalLM m = TestModels.tiny(DataType.DOUBLE, 11);
        int vocab = m.config().vocabSize;
        int[][] prompts = {{5, 9, 13}, {7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
        int[][] cont = {{20, 21, 22, 23, 24, 25}, {30, 31, 32, 33, 34, 35}, {40, 41, 42, 43, 44, 45}};
        // rows 0, 1 share prompt 0; row 2 has prompt 1.
        int[] promptOf = {0, 0, 1};
        KvCache prefill = m.newKvCache(2, 16);
        m.prefill(prefill, TokenBatch.of(prompts));
        KvCache cache = m.newKvCache(3, 24);
        for (int r = 0; r < 3; r++) {
            cache.copyRow(prefill, promptOf[r], r);
        }
        // Step 0: all rows. Step 1: row 1 rests. Steps 2-3: all again (row 1 one token behind).
        int[] steps = new int[3];
        double maxErr = 0;
        for (int step = 0; step < 4; step++) {
            boolean[] active = {true, step != 1, true};
            int[] tokens = new int[3];
            for (int r = 0; r < 3; r++) {
                tokens[r] = cont[r][steps[r]];
            }
            INDArray logits = m.decode(cache, tokens, active);
            for (int r = 0; r < 3; r++) {
                if (active[r]) {
                    steps[r]++;
                    maxErr = Math.max(maxErr, err(m, logits.getRow(r), prompts[promptOf[r]], cont[r], steps[r]));
                }
            }
        }
        // Compaction: keep rows 2 and 0, in that order, in a cache of two rows.
        KvCache smaller = m.newKvCache(2, 24);
        smaller.copyRow(cache, 2, 0);
        smaller.copyRow(cache, 0, 1);
        assertEquals(cache.length(2), smaller.length(0));
        INDArray logits = m.decode(smaller, new int[] {cont[2][steps[2]], cont[0][steps[0]]}, null);
        maxErr = Math.max(maxErr, err(m, logits.getRow(0), prompts[1], cont[2], steps[2] + 1));
        maxErr = Math.max(maxErr, err(m, logits.getRow(1), prompts[0], cont[0], steps[0] + 1));
        assertEquals(0, maxErr, 1e-9);
        assertEquals(vocab, logits.columns());
    }

    /** Max |decoded logits - forward logits| at the last position of prompt + the first n continuation ids. */
    private static double err(CausalLM m, INDArray decoded, int[] prompt, int[] cont, int n) {
        int[] seq = new int[prompt.length + n];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(cont, 0, seq, prompt.length, n);
        Forward f = m.forward(TokenBatch.of(seq));
        INDArray full = f.logits().getRow(f.rowIndex(0, seq.length - 1));
        return full.sub(decoded).amaxNumber().doubleValue();
    }
}
