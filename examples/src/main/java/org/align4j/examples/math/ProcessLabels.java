package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.align4j.policy.train.Rng;
import org.align4j.policy.util.BadInputException;

/**
 * Per-step labels for process reward model training, from math problems: a solution with one corrupted step
 * is labelled 1 on the lines before the error and 0 from the error on. A share of rows keeps the correct
 * solution with all labels 1; without them every answer line would be labelled 0 and a PRM would learn that
 * the {@code ####} line is always wrong.
 */
public final class ProcessLabels {

    /** Default share of rows with the correct solution. */
    public static final double DEFAULT_CORRECT_SHARE = 0.5;

    /** Keeps the choice of errors independent of the problem streams drawn from the same seed. */
    private static final long SALT = 0x5eed_da1a_0002L;

    private ProcessLabels() {
    }

    public static List<StepLabeledSolution> from(List<MathProblem> problems, long seed) {
        return from(problems, DEFAULT_CORRECT_SHARE, seed);
    }

    /** One row per problem, in order; deterministic in seed. Draw problems from a train split. */
    public static List<StepLabeledSolution> from(List<MathProblem> problems, double correctShare, long seed) {
        if (!(correctShare >= 0 && correctShare <= 1)) {
            throw new BadInputException("correct share must be in [0, 1], got " + correctShare);
        }
        Rng rng = new Rng(seed ^ SALT);
        List<StepLabeledSolution> out = new ArrayList<>(problems.size());
        for (MathProblem p : problems) {
            int lines = p.steps() + 1;
            if (rng.nextDouble() < correctShare) {
                out.add(new StepLabeledSolution(p.prompt(), p.completion(), Collections.nCopies(lines, 1)));
                continue;
            }
            WrongSolutions.Wrong w = WrongSolutions.of(p.solution(), rng);
            List<Integer> labels = new ArrayList<>(lines);
            for (int i = 0; i < lines; i++) {
                labels.add(i < w.wrongLine() ? 1 : 0);
            }
            out.add(new StepLabeledSolution(p.prompt(), w.completion(), labels));
        }
        return out;
    }
}
