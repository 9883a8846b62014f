package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.Rng;

/**
 * DPO pairs from math problems: chosen is the correct solution, rejected a plausible wrong one of the same
 * problem (one arithmetic step wrong with the error carried to the final answer, or, in 1 of 5 pairs, right
 * steps and a wrong final line). Both completions share their lines up to the error, so the preference is
 * about the arithmetic, not the style.
 */
public final class PreferencePairs {

    /** Keeps the choice of errors independent of the problem streams drawn from the same seed. */
    private static final long SALT = 0x5eed_da1a_0001L;

    private PreferencePairs() {
    }

    /** One pair per problem, in order; deterministic in seed. Draw problems from a train split. */
    public static List<TextPreferencePair> from(List<MathProblem> problems, long seed) {
        Rng rng = new Rng(seed ^ SALT);
        List<TextPreferencePair> out = new ArrayList<>(problems.size());
        for (MathProblem p : problems) {
            WrongSolutions.Wrong w = WrongSolutions.of(p.solution(), rng);
            out.add(new TextPreferencePair(p.prompt(), p.completion(), w.completion()));
        }
        return out;
    }
}
