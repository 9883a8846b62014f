package org.align4j.distributed;

import java.util.ArrayList;
import java.util.List;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;

/** Test reward, loaded by class name: the share of the completion's characters that are digits. */
public final class DigitShare implements OutcomeReward {
    @Override
    public String name() {
        return "digit_share";
    }

    @Override
    public List<Double> score(List<RewardInput> batch) {
        List<Double> out = new ArrayList<>();
        for (RewardInput in : batch) {
            String s = in.completion();
            long digits = s.chars().filter(Character::isDigit).count();
            out.add(s.isEmpty() ? 0.0 : (double) digits / s.length());
        }
        return out;
    }

    @Override
    public void close() {
    }
}
