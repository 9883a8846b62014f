package org.align4j.examples.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.align4j.policy.train.Rng;
import org.align4j.reward.RewardInput;
import org.align4j.reward.StepRewards;
import org.align4j.reward.math.ArithmeticStepReward;
import org.align4j.reward.math.MathAnswerReward;
import org.junit.jupiter.api.Test;

/** The generated data read through the reward module's rule rewards, which GRPO will train on. */
class RewardAgreementTest {

    @Test
    void rewardsScoreRightSolutionsOneAndFindTheWrongLineOfWrongOnes() {
        List<MathProblem> problems = new ArrayList<>();
        for (Difficulty d : Difficulty.values()) {
            problems.addAll(MathWordProblems.generate(150, d, 31));
        }
        Rng rng = new Rng(2);
        List<RewardInput> right = new ArrayList<>();
        List<RewardInput> wrong = new ArrayList<>();
        List<Integer> wrongLines = new ArrayList<>();
        for (MathProblem p : problems) {
            Map<String, Object> row = Map.of("answer", p.answer());
            right.add(RewardInput.ofText(p.prompt(), p.completion(), row));
            WrongSolutions.Wrong w = WrongSolutions.of(p.solution(), rng);
            wrong.add(RewardInput.ofText(p.prompt(), w.completion(), row));
            wrongLines.add(w.wrongLine());
        }
        MathAnswerReward answer = new MathAnswerReward();
        assertEquals(Collections.nCopies(problems.size(), 1.0), answer.score(right));
        assertEquals(Collections.nCopies(problems.size(), 0.0), answer.score(wrong));

        ArithmeticStepReward steps = new ArithmeticStepReward();
        List<StepRewards> rightSteps = steps.score(right);
        List<StepRewards> wrongSteps = steps.score(wrong);
        for (int i = 0; i < problems.size(); i++) {
            int lines = problems.get(i).steps() + 1; // every step line is checked, and the #### line
            double[] all = new double[lines];
            Arrays.fill(all, 1.0);
            assertArrayEquals(all, rightSteps.get(i).rewards(), problems.get(i).completion());
            // per line: before the error right, the wrong line wrong, the answer line wrong (the answer is);
            // lines between recompute correctly from the carried value, which a per-line check accepts
            double[] expected = all.clone();
            expected[wrongLines.get(i)] = 0.0;
            expected[lines - 1] = 0.0;
            assertArrayEquals(expected, wrongSteps.get(i).rewards(),
                    wrong.get(i).completion());
        }
    }
}
