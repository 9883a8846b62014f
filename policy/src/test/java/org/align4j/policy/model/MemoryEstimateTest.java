package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The memory estimate against hand-computed sizes and against what the model really allocates. */
class MemoryEstimateTest {

    /** Qwen2.5-0.5B's shape (d 896, 24 layers, 14 heads, 2 kv heads of 64, ffn 4864, vocab 151936, tied). */
    private static ModelConfig qwen05() {
        return new ModelConfig(ModelConfig.QWEN2, 151936, 896, 4864, 24, 14, 2, 64, 32768, 1e-6, 1e6, true, true,
                null, new int[] {151643});
    }

    @Test
    void weightsOptimizerReferenceAndKvCacheByHand() {
        ModelConfig c = qwen05();
        long p = c.parameterCount();
        assertEquals(494_032_768L, p, "Qwen2.5-0.5B's parameter count");
        // GRPO: 16 prompts x G 8 = 128 rows of 256 prompt + 1024 completion tokens, float32, with a reference
        MemoryEstimate.Run run = new MemoryEstimate.Run(4, 8, 1280, 128, 1280, true, false, false, -1);
        MemoryEstimate m = MemoryEstimate.of(c, run);
        assertEquals(4 * p, m.weights);
        assertEquals(4 * p, m.gradients);
        assertEquals(8 * p, m.optimizer, "AdamW's two moments");
        // the reference's weights and its forward-only workspace: one layer's [seq, seq] probabilities, not 24
        assertEquals(4 * p + 4 * MemoryEstimate.forwardElements(c, run) + m.logits, m.reference);
        long layerProbs = 8L * 14 * 1280 * 1280 * 4;
        assertTrue(m.reference > 4 * p + layerProbs && m.reference < 4 * p + 2 * layerProbs + (2L << 30),
                "reference " + m.reference);
        // per token and layer: keys and values of 2 kv heads of 64 = 256 floats; plus [128, vocab] logits
        long kv = 128L * 1280 * 24 * 256 * 4 + 128L * 151936 * 4;
        assertEquals(kv, m.kvCache);
        assertEquals(4_026_531_840L + 77_791_232L, m.kvCache);
        // 8 x 1280 = 10240 rows of 151936 logits exceed 2^24: Liger chunks, 10240 / ceil(151936 / 896) -> 61 -> 64
        int inc = (151936 + 895) / 896; // 170
        int rowsPerChunk = Integer.highestOneBit((10240 + inc - 1) / inc) * 2; // 61 -> 64
        assertEquals(64, rowsPerChunk);
        assertEquals(64L * 151936 * 4, m.logits);
        // eager attention keeps [seq, seq] per head and layer: 8 x 14 x 1280^2 floats x 24 layers = 58.8 GB of them
        long probs = 8L * 14 * 1280 * 1280 * 4;
        assertTrue(m.activations > 24 * probs);
        MemoryEstimate flash = MemoryEstimate.of(c, new MemoryEstimate.Run(4, 8, 1280, 128, 1280, true, true, true,
                -1));
        assertTrue(flash.activations * 5 < m.activations, "checkpointed fused attention: " + flash.activations);
    }

    private static long measured(CausalLM m, TokenBatch b) {
        m.zeroGrad();
        m.forward(b).backward(CausalLMGradientTest.coefficients(b, 1));
        return m.workspaceBytes();
    }

    private static ModelConfig tinyConfig(String kind) {
        return kind.equals("llama") ? CausalLMGradientTest.tiny(ModelConfig.LLAMA, false)
                : DeepSeekGradientTest.tiny(kind);
    }

    /** A random float64 model of the tiny config with the memory settings of a run. */
    private static CausalLM tinyModel(String kind, ModelConfig c, long seed, boolean checkpointing, boolean flash,
                                      int chunk) {
        CausalLM m = kind.equals("llama") ? CausalLMGradientTest.randomModel(c, seed)
                : DeepSeekGradientTest.randomModel(c, seed);
        m.setGradientCheckpointing(checkpointing);
        m.setLmHeadChunkSize(chunk);
        if (flash) {
            m.setAttnImplementation(CausalLM.FLASH_ATTENTION_2);
        }
        return m;
    }

    /** Three rows of 8 tokens. */
    private static TokenBatch ragged() {
        return TokenBatch.of(new int[] {1, 5, 7, 3, 9, 11, 4, 2}, new int[] {2, 8, 6, 1, 1, 3, 5, 7},
                new int[] {12, 0, 1, 10, 5, 4, 4, 4});
    }

    /** Every buffer of a training step's workspace is counted, float64, rows of 8 tokens (no width rounding). */
    @ParameterizedTest
    @CsvSource({"llama,false,false,0", "llama,true,false,0", "llama,false,true,0", "llama,true,true,5",
            "llama,false,false,-1", "v3,false,false,0", "v3,true,false,3", "v2,true,false,0", "v2,false,false,0",
            "v3,false,true,0", "v2,true,true,3"})
    void activationsAreWhatTheModelAllocates(String kind, boolean checkpointing, boolean flash, int chunk) {
        ModelConfig c = tinyConfig(kind);
        CausalLM m = tinyModel(kind, c, 3, checkpointing, flash, chunk);
        TokenBatch b = ragged();
        MemoryEstimate e = MemoryEstimate.of(c, new MemoryEstimate.Run(8, 3, 8, 0, 0, false, checkpointing, flash,
                chunk));
        assertEquals(measured(m, b), e.activations + e.logits);
    }

    /**
     * A separate reference model is forward-only: the same log-probs as a trainable copy from two residual buffers and
     * one layer's activations, no backward pass, and the estimate's reference part is its weights plus exactly what
     * that workspace allocates.
     */
    @ParameterizedTest
    @CsvSource({"llama,false,false,0", "llama,true,true,5", "v3,false,false,0", "v2,true,true,3"})
    void aReferenceModelsForwardWorkspaceIsCounted(String kind, boolean checkpointing, boolean flash, int chunk) {
        ModelConfig c = tinyConfig(kind);
        CausalLM ref = tinyModel(kind, c, 4, checkpointing, flash, chunk);
        TokenBatch b = ragged();
        CausalLM full = ref.copy();
        full.setGradientCheckpointing(checkpointing);
        ref.setForwardOnly(true);
        double[][] want = full.forward(b).tokenLogProbs();
        double[][] got = ref.forward(b).tokenLogProbs();
        for (int i = 0; i < want.length; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(want[i], got[i], 0.0, "forward-only log-probs");
        }
        MemoryEstimate e = MemoryEstimate.of(c, new MemoryEstimate.Run(8, 3, 8, 0, 0, true, checkpointing, flash,
                chunk));
        assertEquals(ref.workspaceBytes(), e.reference - 8L * c.parameterCount());
        assertTrue(ref.workspaceBytes() < full.workspaceBytes() || checkpointing);
        assertThrows(IllegalStateException.class, () -> ref.forward(b).backward(CausalLMGradientTest.coefficients(b, 1)));
    }

    @Test
    void aRunThatCannotFitIsRefusedNamingWhatToChange() {
        // micro-batches of 16 x 2048 tokens, eager, whole-batch logits: the [seq, seq] probabilities alone are
        // 16 x 14 x 2048^2 x 4 bytes = 3.5 GiB per layer
        MemoryEstimate.Run run = new MemoryEstimate.Run(4, 16, 2048, 128, 2048, true, false, false, 0);
        MemoryEstimate m = MemoryEstimate.of(qwen05(), run);
        long h100 = 80L << 30;
        BadInputException e = assertThrows(BadInputException.class, () -> m.requireFits(h100, run));
        System.out.println(e.getMessage()); // quoted in docs/gpu.md
        assertTrue(e.getMessage().contains("exceeds the device's 80.0 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("gradient_checkpointing: true"), e.getMessage());
        assertTrue(e.getMessage().contains("attn_implementation: flash_attention_2"), e.getMessage());
        assertTrue(e.getMessage().contains("lm_head_chunk_size: -1"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
        m.requireFits(m.total(), run);
        m.requireFits(-1, run); // no device: nothing to check
        MemoryEstimate.Run lean = new MemoryEstimate.Run(4, 16, 2048, 128, 2048, true, true, true, -1);
        MemoryEstimate.of(qwen05(), lean).requireFits(h100, lean);
        assertTrue(e.getMessage().contains("bf16: true"), e.getMessage());
    }

    /**
     * async_rollouts: the worker's copy of the weights is held as the policy's (bf16 masters and working copy, or a
     * LoRA model's bf16 base and adapters), and a run it makes too large is told to turn it off.
     */
    @Test
    void asyncRolloutsCountTheWorkersCopyOfTheWeights() {
        ModelConfig c = qwen05();
        MemoryEstimate.Run shared = new MemoryEstimate.Run(4, 8, 1280, 128, 1280, false, true, true, -1, true, 4096);
        MemoryEstimate.Run copy = new MemoryEstimate.Run(4, 8, 1280, 128, 1280, false, true, true, -1, true, 4096,
                true);
        MemoryEstimate a = MemoryEstimate.of(c, shared);
        MemoryEstimate b = MemoryEstimate.of(c, copy);
        assertEquals(0, a.rolloutCopy);
        assertEquals(b.weights, b.rolloutCopy);
        assertEquals(a.total() + b.weights, b.total());
        BadInputException e = assertThrows(BadInputException.class, () -> b.requireFits(a.total(), copy));
        assertTrue(e.getMessage().contains("rollout copy") && e.getMessage().contains("async_rollouts: false"),
                e.getMessage());
    }

    /** bf16: the reference takes 2 bytes a weight; the policy keeps float32 masters plus a 2-byte working copy. */
    @Test
    void bf16CountsTwoBytesPerWeight() {
        ModelConfig c = qwen05();
        long p = c.parameterCount();
        MemoryEstimate.Run fp32 = new MemoryEstimate.Run(4, 8, 1280, 128, 1280, true, true, true, -1);
        MemoryEstimate.Run bf16 = new MemoryEstimate.Run(4, 8, 1280, 128, 1280, true, true, true, -1, true);
        MemoryEstimate a = MemoryEstimate.of(c, fp32);
        MemoryEstimate b = MemoryEstimate.of(c, bf16);
        assertEquals(2 * p, a.reference - b.reference, "the reference's weights: 2 bytes, not 4");
        assertEquals(4 * p + 2 * p, b.weights);
        assertEquals(a.gradients, b.gradients);
        assertEquals(a.optimizer, b.optimizer);
        assertEquals(a.activations, b.activations);
        assertEquals(a.total(), b.total(), "full training: the reference's 2p saved bytes pay for the working copy");
        // without a reference the bf16 working copy is the only difference
        MemoryEstimate noRef = MemoryEstimate.of(c, new MemoryEstimate.Run(4, 8, 1280, 0, 0, false, true, true, -1, true));
        assertEquals(0, noRef.reference);
    }
    /**
     * LoRA: only the adapters have gradients, AdamW moments and (bf16) a working copy; the frozen base weights take 2
     * bytes each with bf16, their own width without.
     */
    @Test
    void loraTrainsOnlyTheAdaptersAndKeepsTheFrozenBaseInBf16() {
        ModelConfig c = qwen05();
        long p = c.parameterCount();
        long a = 4_399_104L; // the adapters' tensors, any count
        MemoryEstimate full = MemoryEstimate.of(c, new MemoryEstimate.Run(4, 8, 1280, 128, 1280, false, true, true,
                -1, true));
        MemoryEstimate.Run run = new MemoryEstimate.Run(4, 8, 1280, 128, 1280, false, true, true, -1, true, a);
        MemoryEstimate lora = MemoryEstimate.of(c, run);
        assertEquals(2 * p + (4 + 2) * a, lora.weights);
        assertEquals(4 * a, lora.gradients);
        assertEquals(8 * a, lora.optimizer);
        assertEquals(full.kvCache, lora.kvCache);
        assertEquals(full.activations, lora.activations);
        MemoryEstimate fp32 = MemoryEstimate.of(c, new MemoryEstimate.Run(4, 8, 1280, 128, 1280, false, true, true,
                -1, false, a));
        assertEquals(4 * p + 4 * a, fp32.weights);
        assertEquals(MemoryEstimate.Run.NO_ADAPTERS, new MemoryEstimate.Run(4, 8, 1280, 128, 1280, false, true, true,
                -1, true).adapterParameters());
    }
}
