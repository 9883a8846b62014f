package org.align4j.policy.ops;

/**
 * The gating rule of a DeepSeekMoE layer, as the routing ops need it (the model's MoeConfig reduced to numbers).
 *
 * @param experts      routed experts (n_routed_experts)
 * @param k            experts per token (num_experts_per_tok)
 * @param sigmoid      scores are sigmoid(logits) (V3) rather than softmax(logits) (V2)
 * @param groups       expert groups (n_group); experts of group g are [g * experts / groups, (g + 1) * ...)
 * @param topkGroup    groups a token may choose from (topk_group)
 * @param groupRank    how groups are ranked, or {@link GroupRank#NONE} for no group limit
 * @param normTopkProb the chosen weights are divided by their sum (+ 1e-20)
 * @param scaling      routed_scaling_factor, applied last
 */
public record MoeGate(int experts, int k, boolean sigmoid, int groups, int topkGroup, GroupRank groupRank,
                      boolean normTopkProb, double scaling) {

    /** V2's group_limited_greedy ranks a group by its best score, V3's noaux_tc by the sum of its two best. */
    public enum GroupRank { NONE, MAX, TOP2_SUM }

    public MoeGate {
        if (experts <= 0 || k <= 0 || k > experts || groups <= 0 || experts % groups != 0 || topkGroup <= 0
                || topkGroup > groups) {
            throw new IllegalArgumentException("invalid MoE gate: experts " + experts + ", k " + k + ", groups "
                    + groups + ", topk_group " + topkGroup);
        }
    }

    /** Whether experts outside the best topkGroup groups are masked (to a score of 0, as transformers does). */
    public boolean groupLimited() {
        return groupRank != GroupRank.NONE && topkGroup < groups;
    }
}
