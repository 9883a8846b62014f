package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.align4j.policy.train.Rng;
import org.align4j.policy.util.BadInputException;

/**
 * Grade-school arithmetic word problems with step-by-step solutions ending in {@code #### N}: seven
 * families (boxes, shopping, sharing, ages, distance, saving, school), one to four steps, whole non-negative
 * numbers throughout. Each step line holds one explicit claim {@code a op b = c} with op in + - * /.
 * Output is a pure function of the arguments; prompts within one call are distinct.
 */
public final class MathWordProblems {

    static final int MAX_MISSES = 50_000;

    private MathWordProblems() {
    }

    /** n distinct problems; the number of steps is drawn uniformly from the difficulty's range, then the family. */
    public static List<MathProblem> generate(int n, Difficulty d, long seed) {
        return generate(n, d, new Rng(seed), p -> true, "math-" + d.label() + "-s" + seed + "-");
    }

    /** A train/test split: problems go to one side or the other by their text, so the sides never share one. */
    public static MathSplit split(long seed) {
        return new MathSplit(seed);
    }

    /** Problems from rng whose prompt passes keep, with ids prefix + index. */
    static List<MathProblem> generate(int n, Difficulty d, Rng rng, Predicate<String> keep, String idPrefix) {
        if (n < 0) {
            throw new BadInputException("number of problems must be >= 0, got " + n);
        }
        ProblemWriter writer = new ProblemWriter(d, rng);
        List<MathProblem> out = new ArrayList<>(n);
        Set<String> seen = new HashSet<>();
        // A long run of draws without a new problem means the space is (nearly) used up: end with an error,
        // not a hang. Far more than the misses of a healthy run (a test split keeps 1 in 8 texts).
        int misses = 0;
        while (out.size() < n) {
            if (misses >= MAX_MISSES) {
                throw new BadInputException("found only " + out.size() + " distinct " + d.label()
                        + " problems (" + MAX_MISSES + " draws in a row gave no new one); ask for fewer than " + n);
            }
            // Steps first, then families until one draw succeeds: long problems fail more draws (too many
            // words, no exact divisor), and retrying the whole choice would make them rarer than asked.
            int steps = d.minSteps() + rng.nextInt(d.maxSteps() - d.minSteps() + 1);
            ProblemWriter.Drawn drawn = null;
            for (int attempt = 0; drawn == null && attempt < 1000; attempt++) {
                drawn = writer.write(Templates.ALL.get(rng.nextInt(Templates.ALL.size())), steps);
            }
            if (drawn == null || !keep.test(drawn.prompt()) || !seen.add(drawn.prompt())) {
                misses++;
                continue;
            }
            misses = 0;
            out.add(MathProblem.of(idPrefix + out.size(), drawn.prompt(), drawn.solution()));
        }
        return out;
    }
}
