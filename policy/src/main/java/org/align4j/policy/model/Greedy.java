package org.align4j.policy.model;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Greedy decoding of one sequence with the KV cache (argmax at every step, no stop rule). */
public final class Greedy {
    private Greedy() {
    }

    /** Returns the prompt followed by {@code newTokens} greedily chosen ids. */
    public static int[] generate(CausalLM model, int[] prompt, int newTokens) {
        int[] out = Arrays.copyOf(prompt, prompt.length + newTokens);
        try (KvCache cache = model.newKvCache(1, Math.min(model.config().maxPositions,
                (prompt.length + newTokens + 7) / 8 * 8))) {
            INDArray logits = model.prefill(cache, TokenBatch.of(prompt));
            for (int i = 0; i < newTokens; i++) {
                int next = logits.getRow(0).argMax().getInt(0);
                out[prompt.length + i] = next;
                if (i + 1 < newTokens) {
                    logits = model.decode(cache, new int[] {next}, null);
                }
            }
        }
        return out;
    }
}
