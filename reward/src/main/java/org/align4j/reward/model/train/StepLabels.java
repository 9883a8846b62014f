package org.align4j.reward.model.train;

import java.util.List;
import org.align4j.reward.ReasoningSteps;
import org.align4j.reward.StepRewards;

/**
 * Per-line 0/1 labels for training a process reward model, from a rule-based process reward (such as
 * {@code math_steps}, which checks the arithmetic of some lines and the final answer on the last line).
 * Labels follow Math-Shepherd's meaning, "the solution is still on track after this step": a line is correct
 * when no checked step up to and including it failed, so everything after the first mistake is labelled 0.
 * Lines the checker does not score inherit the verdict so far. A checked step counts as passed when its
 * reward is at least 0.5.
 */
public final class StepLabels {
    private StepLabels() {
    }

    /** One label per non-blank line of completion ({@link ReasoningSteps}), in order. */
    public static int[] prefixLabels(String completion, StepRewards checked) {
        List<ReasoningSteps.Step> lines = ReasoningSteps.split(completion);
        int[] labels = new int[lines.size()];
        boolean ok = true;
        int s = 0;
        for (int k = 0; k < lines.size(); k++) {
            int end = lines.get(k).end();
            // checked steps ending on this line (or, defensively, before it)
            while (s < checked.size() && checked.endChar(s) <= end) {
                ok &= checked.reward(s) >= 0.5;
                s++;
            }
            labels[k] = ok ? 1 : 0;
        }
        return labels;
    }
}
