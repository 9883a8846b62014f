package org.align4j.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a completion into reasoning steps: each non-blank line is a step. Character spans are
 * kept so that a step's end can be mapped to a token index through
 * {@link RewardInput#tokenIndexEndingAt(int)}.
 */
public final class ReasoningSteps {

    /** One step: its text and its span {@code [start, end)} in the completion (newline excluded). */
    public record Step(String text, int start, int end) {
    }

    private ReasoningSteps() {
    }

    public static List<Step> split(String completion) {
        List<Step> steps = new ArrayList<>();
        int start = 0;
        while (start <= completion.length()) {
            int newline = completion.indexOf('\n', start);
            int end = newline < 0 ? completion.length() : newline;
            // A trailing '\r' belongs to the line break, not to the step.
            int textEnd = end > start && completion.charAt(end - 1) == '\r' ? end - 1 : end;
            String line = completion.substring(start, textEnd);
            if (!line.isBlank()) {
                steps.add(new Step(line, start, textEnd));
            }
            if (newline < 0) {
                break;
            }
            start = newline + 1;
        }
        return steps;
    }
}
