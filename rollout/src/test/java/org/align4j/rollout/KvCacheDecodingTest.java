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

    /**
     * A decoding cache split over the cores (the sampler's, on the CPU) gives the logits of one whole cache at every
     * step, with rows resting, rows copied in from an ordinary cache and compaction between split and whole caches;
     * and in float64, the full forward's.
     */
    @Test
    void aDecodingCacheSplitOverTheCoresDecodesAsOneCache() {
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            CausalLM m = TestModels.tiny(type, 12);
            int[][] prompts = {{5, 9, 13}, {7, 8, 9, 10, 11, 12, 13}};
            int rows = 10;
            KvCache prefill = m.newKvCache(2, 8);
            m.prefill(prefill, TokenBatch.of(prompts));
            KvCache split = m.newDecodingCache(rows, 24);
            KvCache whole = m.newKvCache(rows, 24);
            if (Runtime.getRuntime().availableProcessors() >= 2) {
                assertEquals(2, Math.min(2, split.parts()), "10 rows split over the cores, 4 or more a part");
            }
            for (int r = 0; r < rows; r++) {
                split.copyRow(prefill, r % 2, r);
                whole.copyRow(prefill, r % 2, r);
            }
            int[][] cont = new int[rows][8];
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < 8; t++) {
                    cont[r][t] = 20 + (r * 7 + t * 3) % 40;
                }
            }
            int[] steps = new int[rows];
            double maxDiff = 0;
            double maxErr = 0;
            for (int step = 0; step < 5; step++) {
                boolean[] active = new boolean[rows];
                int[] tokens = new int[rows];
                for (int r = 0; r < rows; r++) {
                    active[r] = (r + step) % 4 != 0; // a different quarter of the rows rests each step
                    tokens[r] = cont[r][steps[r]];
                }
                INDArray a = m.decode(split, tokens, active).dup();
                INDArray b = m.decode(whole, tokens, active);
                for (int r = 0; r < rows; r++) {
                    assertEquals(whole.length(r), split.length(r), "row " + r + " length");
                    if (active[r]) {
                        steps[r]++;
                        maxDiff = Math.max(maxDiff, a.getRow(r).sub(b.getRow(r)).amaxNumber().doubleValue());
                        if (type == DataType.DOUBLE) {
                            maxErr = Math.max(maxErr, err(m, a.getRow(r), prompts[r % 2], cont[r], steps[r]));
                        }
                    }
                }
            }
            // compaction: split -> split, split -> whole, whole -> split, keeping rows 9, 2, 5, 0 in that order
            int[] keep = {9, 2, 5, 0};
            KvCache smallerSplit = m.newDecodingCache(keep.length, 24);
            KvCache smallerWhole = m.newKvCache(keep.length, 24);
            KvCache fromWhole = m.newDecodingCache(keep.length, 24);
            int[] tokens = new int[keep.length];
            for (int k = 0; k < keep.length; k++) {
                smallerSplit.copyRow(split, keep[k], k);
                smallerWhole.copyRow(split, keep[k], k);
                fromWhole.copyRow(whole, keep[k], k);
                assertEquals(split.length(keep[k]), smallerSplit.length(k));
                tokens[k] = cont[keep[k]][steps[keep[k]]];
            }
            INDArray x = m.decode(smallerSplit, tokens, null).dup();
            INDArray y = m.decode(smallerWhole, tokens, null).dup();
            INDArray z = m.decode(fromWhole, tokens, null).dup();
            maxDiff = Math.max(maxDiff, x.sub(y).amaxNumber().doubleValue());
            maxDiff = Math.max(maxDiff, z.sub(y).amaxNumber().doubleValue());
            if (type == DataType.DOUBLE) {
                for (int k = 0; k < keep.length; k++) {
                    maxErr = Math.max(maxErr, err(m, x.getRow(k), prompts[keep[k] % 2], cont[keep[k]],
                            steps[keep[k]] + 1));
                }
            }
            assertEquals(0, maxDiff, type == DataType.DOUBLE ? 1e-12 : 1e-5, type + ": split against whole");
            assertEquals(0, maxErr, 1e-9, type + ": split against the full forward");
            for (KvCache c : new KvCache[] {prefill, split, whole, smallerSplit, smallerWhole, fromWhole}) {
                c.close();
            }
        }
    }

    @Test
    void aDecodingCacheRefusesPrefill() {
        CausalLM m = TestModels.tiny(DataType.DOUBLE, 12);
        KvCache split = m.newDecodingCache(10, 24);
        if (split.parts() > 1) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.prefill(split, TokenBatch.of(new int[][] {{5, 6}})));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("newKvCache"), e.getMessage());
        }
        split.close();
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
