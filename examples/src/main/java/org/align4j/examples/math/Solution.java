package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * A step-by-step solution: one line per arithmetic step, then {@code #### N} with the final answer, which is
 * the result of the last step. The completion text is rendered from the steps rather than stored, so a wrong
 * value forced into one step flows into every later line exactly as a solver who made that slip would write
 * it.
 */
public final class Solution {

    /** Marks the final-answer line, GSM8K style. */
    public static final String ANSWER_MARK = "#### ";

    private final List<Step> steps;
    private final long[] values;

    public Solution(List<Step> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a solution needs at least one step");
        }
        this.steps = List.copyOf(steps);
        for (int i = 0; i < this.steps.size(); i++) {
            for (Step.Operand o : List.of(this.steps.get(i).left(), this.steps.get(i).right())) {
                if (o instanceof Step.Result r && (r.step() < 0 || r.step() >= i)) {
                    throw new IllegalArgumentException("step " + i + " refers to step " + r.step()
                            + ", which does not come before it");
                }
            }
        }
        long[] v = evaluate(-1, 0);
        if (v == null) {
            throw new IllegalArgumentException("a step has no whole non-negative result");
        }
        this.values = v;
    }

    public List<Step> steps() {
        return steps;
    }

    /** The result of each step. */
    public long[] values() {
        return values.clone();
    }

    public long answer() {
        return values[values.length - 1];
    }

    /** The step lines and the answer line, joined by newlines. */
    public String completion() {
        return render(values, answer());
    }

    /**
     * The results when step {@code step} is forced to {@code forced} and later steps compute from it;
     * null when a later step then has no whole non-negative result (e.g. an inexact division).
     */
    long[] valuesWith(int step, long forced) {
        return evaluate(step, forced);
    }

    /**
     * Renders lines from values (as returned by {@link #valuesWith}); the operands of each line are read from
     * values, so after a forced step the later lines show the carried error, and the forced step's own claim
     * is false.
     */
    String render(long[] values, long finalAnswer) {
        List<String> lines = new ArrayList<>(steps.size() + 1);
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            lines.add(s.render(value(s.left(), values), value(s.right(), values), values[i]));
        }
        lines.add(ANSWER_MARK + finalAnswer);
        return String.join("\n", lines);
    }

    private long[] evaluate(int forcedStep, long forced) {
        long[] v = new long[steps.size()];
        for (int i = 0; i < v.length; i++) {
            if (i == forcedStep) {
                v[i] = forced;
                continue;
            }
            Step s = steps.get(i);
            OptionalLong r = Step.apply(s.op(), value(s.left(), v), value(s.right(), v));
            if (r.isEmpty()) {
                return null;
            }
            v[i] = r.getAsLong();
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Solution other && steps.equals(other.steps);
    }

    @Override
    public int hashCode() {
        return steps.hashCode();
    }

    @Override
    public String toString() {
        return completion();
    }

    private static long value(Step.Operand o, long[] values) {
        return o instanceof Step.Given g ? g.value() : values[((Step.Result) o).step()];
    }
}
