package org.align4j.examples.math;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A PRM row: a completion and one label per line of it (1: the line is right and so is everything before it;
 * 0: the line is wrong or comes after a wrong line). The answer line {@code #### N} is a line like the others.
 */
public record StepLabeledSolution(String prompt, String completion,
                                  @JsonProperty("step_labels") List<Integer> stepLabels) {

    public StepLabeledSolution {
        stepLabels = List.copyOf(stepLabels);
        int lines = completion.split("\n", -1).length;
        if (stepLabels.size() != lines) {
            throw new IllegalArgumentException(stepLabels.size() + " step labels for " + lines + " lines");
        }
    }
}
