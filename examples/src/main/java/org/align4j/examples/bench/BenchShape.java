package org.align4j.examples.bench;

/**
 * The model and workload a benchmark measures. The defaults are the project's benchmark model (d 256,
 * 4 layers, 8 heads, 4 kv heads, ffn 688, vocab 1024) at batch 16 x 256 for training and 8 prompts x 8
 * completions, 32-token prompts and 64 new tokens for sampling.
 */
public record BenchShape(int d, int layers, int heads, int kvHeads, int ffn, int vocab, int batch, int seq,
                         int prompts, int group, int promptLen, int newTokens) {
    public static final BenchShape DEFAULT = new BenchShape(256, 4, 8, 4, 688, 1024, 16, 256, 8, 8, 32, 64);

    public BenchShape {
        if (d <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || ffn <= 0 || vocab < 300 || batch <= 0
                || seq < 2 || prompts <= 0 || group <= 0 || promptLen <= 0 || newTokens <= 0) {
            throw new IllegalArgumentException("benchmark sizes must be positive (vocab at least 300)");
        }
        if (d % heads != 0 || heads % kvHeads != 0 || (d / heads) % 2 != 0) {
            throw new IllegalArgumentException("--d must be a multiple of --heads with an even head size, and "
                    + "--kv-heads must divide --heads");
        }
    }
}
