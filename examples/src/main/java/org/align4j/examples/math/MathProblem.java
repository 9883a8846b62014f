package org.align4j.examples.math;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One generated word problem as a JSONL row: {@code prompt}/{@code completion} for SFT, {@code prompt}/
 * {@code answer} for GRPO and evaluation; {@code steps} is the number of arithmetic lines of the completion.
 * The structured solution travels along (not serialized) so that wrong variants can be derived from it.
 */
public record MathProblem(String id, String prompt, String completion, String answer, int steps,
                          @JsonIgnore Solution solution) {

    /**
     * The same problem answered tersely: the completion is only the {@code #### N} line, without the working,
     * as many answers in web math data are.
     */
    public MathProblem answerOnly() {
        return new MathProblem(id, prompt, Solution.ANSWER_MARK + answer, answer, steps, solution);
    }

    static MathProblem of(String id, String prompt, Solution solution) {
        return new MathProblem(id, prompt, solution.completion(), Long.toString(solution.answer()),
                solution.steps().size(), solution);
    }
}
