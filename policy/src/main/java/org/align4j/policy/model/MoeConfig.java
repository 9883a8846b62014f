package org.align4j.policy.model;

import java.util.List;
import org.align4j.policy.ops.MoeGate;

/**
 * DeepSeekMoE feed-forward settings (DeepSeek-V2 section 2.2, DeepSeek-V3 section 2.1.2): after
 * {@code first_k_dense_replace} dense layers, every {@code moe_layer_freq}-th layer has {@code n_routed_experts}
 * fine-grained experts of width {@code moe_intermediate_size}, of which each token uses
 * {@code num_experts_per_tok}, plus {@code n_shared_experts} always-on experts. Names follow the Hugging Face
 * config.
 *
 * @param scoringFunc          {@code softmax} (V2) or {@code sigmoid} (V3) affinity of a token to each expert
 * @param topkMethod           {@code greedy} or {@code group_limited_greedy} (V2), {@code noaux_tc} (V3: selection
 *                             on scores plus {@code e_score_correction_bias}, groups ranked by their two best)
 * @param nGroup               expert groups for group-limited routing
 * @param topkGroup            groups a token may pick experts from
 * @param normTopkProb         the selected weights are renormalised to sum to 1
 * @param routedScalingFactor  multiplies the routed experts' weights
 */
public record MoeConfig(int firstKDenseReplace, int moeLayerFreq, int nRoutedExperts, int numExpertsPerTok,
                        int moeIntermediateSize, int nSharedExperts, String scoringFunc, String topkMethod, int nGroup,
                        int topkGroup, boolean normTopkProb, double routedScalingFactor) {

    public static final String SIGMOID = "sigmoid";
    public static final String SOFTMAX = "softmax";
    public static final String GREEDY = "greedy";
    public static final String GROUP_LIMITED_GREEDY = "group_limited_greedy";
    public static final String NOAUX_TC = "noaux_tc";

    public MoeConfig {
        if (firstKDenseReplace < 0 || moeLayerFreq <= 0 || nRoutedExperts <= 0 || moeIntermediateSize <= 0
                || nSharedExperts < 0) {
            throw new IllegalArgumentException("invalid MoE sizes: first_k_dense_replace " + firstKDenseReplace
                    + ", moe_layer_freq " + moeLayerFreq + ", n_routed_experts " + nRoutedExperts
                    + ", moe_intermediate_size " + moeIntermediateSize + ", n_shared_experts " + nSharedExperts);
        }
        if (numExpertsPerTok <= 0 || numExpertsPerTok > nRoutedExperts) {
            throw new IllegalArgumentException("num_experts_per_tok must be in [1, n_routed_experts], got "
                    + numExpertsPerTok);
        }
        if (!List.of(SIGMOID, SOFTMAX).contains(scoringFunc)) {
            throw new IllegalArgumentException("unsupported scoring_func '" + scoringFunc + "' (sigmoid, softmax)");
        }
        if (!List.of(GREEDY, GROUP_LIMITED_GREEDY, NOAUX_TC).contains(topkMethod)) {
            throw new IllegalArgumentException("unsupported topk_method '" + topkMethod
                    + "' (greedy, group_limited_greedy, noaux_tc)");
        }
        if (nGroup <= 0 || nRoutedExperts % nGroup != 0 || topkGroup <= 0 || topkGroup > nGroup) {
            throw new IllegalArgumentException("n_group (" + nGroup + ") must divide n_routed_experts ("
                    + nRoutedExperts + ") and topk_group (" + topkGroup + ") must be in [1, n_group]");
        }
        if (topkMethod.equals(NOAUX_TC) && nGroup > 1 && nRoutedExperts / nGroup < 2) {
            throw new IllegalArgumentException("noaux_tc ranks groups by their two best experts: groups need at "
                    + "least 2 experts");
        }
        if (topkGroup * (nRoutedExperts / nGroup) < numExpertsPerTok) {
            throw new IllegalArgumentException("topk_group groups hold fewer experts than num_experts_per_tok");
        }
    }

    /** Layer l has routed experts (the others have a dense SwiGLU of intermediate_size). */
    public boolean isMoeLayer(int layer) {
        return layer >= firstKDenseReplace && layer % moeLayerFreq == 0;
    }

    /** The gating rule as the routing ops take it. */
    public MoeGate gate() {
        MoeGate.GroupRank rank = topkMethod.equals(GREEDY) ? MoeGate.GroupRank.NONE
                : topkMethod.equals(NOAUX_TC) ? MoeGate.GroupRank.TOP2_SUM : MoeGate.GroupRank.MAX;
        return new MoeGate(nRoutedExperts, numExpertsPerTok, scoringFunc.equals(SIGMOID), nGroup, topkGroup, rank,
                normTopkProb, routedScalingFactor);
    }

    /** Expert selection adds the per-expert e_score_correction_bias (DeepSeek-V3's auxiliary-loss-free balancing). */
    public boolean hasCorrectionBias() {
        return topkMethod.equals(NOAUX_TC);
    }
}
