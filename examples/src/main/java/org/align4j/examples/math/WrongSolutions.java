package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.align4j.policy.train.Rng;

/**
 * Plausible wrong solutions of a problem, made the way a weak solver errs: one arithmetic slip (off by one,
 * two or ten, or by a whole operand in a product) whose wrong result is then used correctly by every later
 * step, or correct steps followed by a wrong final line (often an intermediate result: stopping early).
 */
final class WrongSolutions {

    /** Share of wrong solutions whose steps are all right and whose final line is wrong. */
    static final double FINAL_LINE_SHARE = 0.2;

    /**
     * A wrong solution.
     *
     * @param wrongLine index (0-based, over the lines of the completion) of the first wrong line; the answer
     *                  line is index steps
     */
    record Wrong(String completion, int wrongLine, long answer) {
    }

    private WrongSolutions() {
    }

    static Wrong of(Solution s, Rng rng) {
        if (rng.nextDouble() < FINAL_LINE_SHARE) {
            return wrongFinalLine(s, rng);
        }
        int n = s.steps().size();
        for (int step : rng.permutation(n)) {
            Wrong w = wrongStep(s, step, rng);
            if (w != null) {
                return w;
            }
        }
        // cannot happen: the last step has nothing after it, so its result + 1 is always a valid slip
        throw new IllegalStateException("no step of the solution could be made wrong");
    }

    private static Wrong wrongFinalLine(Solution s, Rng rng) {
        long[] v = s.values();
        long right = s.answer();
        List<Long> candidates = new ArrayList<>();
        for (int i = 0; i + 1 < v.length; i++) {
            candidates.add(v[i]);
        }
        for (long delta : new long[] {1, -1, 10, -10, 2, -2}) {
            candidates.add(right + delta);
        }
        List<Long> ok = candidates.stream().filter(c -> c >= 0 && c != right).distinct().toList();
        long wrong = ok.get(rng.nextInt(ok.size()));
        return new Wrong(s.render(v, wrong), v.length, wrong);
    }

    /** Step {@code step} gets a wrong result carried forward; null when no slip keeps later steps whole. */
    private static Wrong wrongStep(Solution s, int step, Rng rng) {
        long[] v = s.values();
        long right = v[step];
        Step st = s.steps().get(step);
        Set<Long> slips = new LinkedHashSet<>();
        if (st.op() == '*') {
            // a times table slip: one group too many or too few
            long a = operand(st.left(), v);
            long b = operand(st.right(), v);
            slips.add(right + b);
            slips.add(right - b);
            slips.add(right + a);
            slips.add(right - a);
        }
        for (long delta : new long[] {1, -1, 2, -2, 10, -10}) {
            slips.add(right + delta);
        }
        List<Long> options = new ArrayList<>(slips);
        for (int i : rng.permutation(options.size())) {
            long wrong = options.get(i);
            if (wrong < 1 || wrong == right) {
                continue;
            }
            long[] carried = s.valuesWith(step, wrong);
            if (carried == null || carried[carried.length - 1] == s.answer()) {
                continue;
            }
            long answer = carried[carried.length - 1];
            return new Wrong(s.render(carried, answer), step, answer);
        }
        return null;
    }

    private static long operand(Step.Operand o, long[] values) {
        return o instanceof Step.Given g ? g.value() : values[((Step.Result) o).step()];
    }
}
