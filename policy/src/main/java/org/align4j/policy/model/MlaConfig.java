package org.align4j.policy.model;

/**
 * Multi-head latent attention (DeepSeek-V2 section 2.1): queries through an optional low-rank bottleneck
 * ({@code q_lora_rank}, 0 for a plain q_proj as in DeepSeek-V2-Lite), keys and values through a joint latent of
 * {@code kv_lora_rank} dims, and a decoupled RoPE part of {@code qk_rope_head_dim} dims per query head plus one
 * key shared by all heads. Names follow the Hugging Face config.
 *
 * @param qLoraRank       query latent width, 0 when queries are projected directly
 * @param kvLoraRank      key/value latent width (what the KV cache keeps per token, with the RoPE key)
 * @param qkNopeHeadDim   per-head query/key dims without position information
 * @param qkRopeHeadDim   per-head query dims (and shared key dims) that carry RoPE
 * @param vHeadDim        per-head value dims
 * @param ropeInterleave  the RoPE dims rotate as adjacent pairs (DeepSeek's weights) rather than as halves
 * @param attentionBias   q_a_proj and kv_a_proj_with_mqa (and o_proj) carry biases
 */
public record MlaConfig(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim,
                        boolean ropeInterleave, boolean attentionBias) {

    /** RMSNorm epsilon of the two latents: transformers builds those norms with the default 1e-6, not rms_norm_eps. */
    public static final double LATENT_NORM_EPS = 1e-6;

    public MlaConfig {
        if (qLoraRank < 0 || kvLoraRank <= 0 || qkNopeHeadDim <= 0 || vHeadDim <= 0) {
            throw new IllegalArgumentException("q_lora_rank, kv_lora_rank, qk_nope_head_dim and v_head_dim must be "
                    + "positive (q_lora_rank may be null)");
        }
        if (qkRopeHeadDim <= 0 || qkRopeHeadDim % 2 != 0) {
            throw new IllegalArgumentException("qk_rope_head_dim must be positive and even, got " + qkRopeHeadDim);
        }
    }

    /** Query and key dims per head (no-RoPE part then RoPE part). */
    public int qkHeadDim() {
        return qkNopeHeadDim + qkRopeHeadDim;
    }

    /** Softmax scale: 1 / sqrt(qk_head_dim), as transformers with the default rope type. */
    public double softmaxScale() {
        return 1.0 / Math.sqrt(qkHeadDim());
    }

    /** Cached values per token and layer: the normed latent and the rotated shared key. */
    public int cachedDimsPerToken() {
        return kvLoraRank + qkRopeHeadDim;
    }
}
