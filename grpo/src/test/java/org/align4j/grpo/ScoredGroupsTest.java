package org.align4j.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.grpo.advantage.AdvantageEstimators;
import org.align4j.grpo.advantage.ScaleRewards;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.FinishReason;
import org.align4j.rollout.Prompt;
import org.junit.jupiter.api.Test;

class ScoredGroupsTest {

    private static List<CompletionGroup> oneGroupOfThree() {
        Prompt p = new Prompt("p0", new int[] {1, 2}, "2+2=");
        List<Completion> cs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            cs.add(new Completion("p0", i, new int[] {5, 6, 7}, new double[3], FinishReason.EOS, 0, "abc"));
        }
        return List.of(new CompletionGroup(p, cs, 0));
    }

    @Test
    void aProcessRewardThatAbstainsLeavesTheCompletionOut() {
        // steps of completion 0: rewards 1, 0 ending at tokens 0 and 2; completion 1: 0 at token 2; completion 2:
        // the process reward abstains (null)
        ProcessReward reward = new ProcessReward() {
            @Override
            public String name() {
                return "steps";
            }

            @Override
            public List<StepRewards> score(List<RewardInput> batch) {
                return Arrays.asList(new StepRewards(new double[] {1, 0}, new int[] {0, -1}, new int[] {1, 3}),
                        new StepRewards(new double[] {0}, new int[] {2}, new int[] {3}), null);
            }
        };
        List<RewardInput> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(RewardInput.ofText("2+2=", "abc", Map.of()));
        }
        ScoredGroups s = ScoredGroups.process(oneGroupOfThree(), inputs, reward);
        assertTrue(Double.isNaN(s.rewards[2]));
        assertNull(s.stepRewards[2]);
        assertArrayEquals(new int[] {0, 2}, s.stepEnds[0], "a step end of -1 is the last token");
        s.computeAdvantages(AdvantageEstimators.get("grpo"), ScaleRewards.GROUP, null);
        assertArrayEquals(new double[] {0, 0, 0}, s.advantages[2], 0);
        // group statistics over the three scored step rewards {1, 0, 0}
        double mean = 1.0 / 3;
        double std = Math.sqrt(((1 - mean) * (1 - mean) + 2 * mean * mean) / 2);
        double n1 = (1 - mean) / (std + 1e-4);
        double n0 = -mean / (std + 1e-4);
        assertArrayEquals(new double[] {n1 + n0, n0, n0}, s.advantages[0], 1e-12);
        assertEquals(0.5, s.rewards[0], 0);
        assertEquals(false, s.zeroStd(0));
    }

    @Test
    void dynamicSamplingKeepsGroupsWhoseRewardsDiffer() {
        ProcessReward equal = new ProcessReward() {
            @Override
            public String name() {
                return "same";
            }

            @Override
            public List<StepRewards> score(List<RewardInput> batch) {
                List<StepRewards> out = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    out.add(new StepRewards(new double[] {1}, new int[] {-1}, new int[] {3}));
                }
                return out;
            }
        };
        List<RewardInput> inputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(RewardInput.ofText("2+2=", "abc", Map.of()));
        }
        ScoredGroups s = ScoredGroups.process(oneGroupOfThree(), inputs, equal);
        assertEquals(1, s.zeroStdGroups());
        assertEquals(0, s.informative(4).groups);
        assertEquals(1, ScoredGroups.concat(s.informative(4), s).groups);
    }
}
