package org.align4j.examples.math;

import java.util.Locale;
import org.align4j.policy.util.BadInputException;

/**
 * How hard a generated word problem is: the number of arithmetic steps of its solution, and how large the
 * numbers written in the problem may be. Counts that multiply or divide (boxes, hours, friends) stay below
 * {@code maxFactor} so that products stay in the range a tiny model can learn; {@code maxValue} bounds every
 * intermediate result.
 */
public enum Difficulty {
    /** One or two steps; numbers up to 20, factors up to 5: every result is at most 200, mostly below 100. */
    EASY(1, 2, 20, 5, 200),
    MEDIUM(2, 3, 50, 9, 1000),
    HARD(3, 4, 100, 12, 5000);

    private final int minSteps;
    private final int maxSteps;
    private final int maxOperand;
    private final int maxFactor;
    private final int maxValue;

    Difficulty(int minSteps, int maxSteps, int maxOperand, int maxFactor, int maxValue) {
        this.minSteps = minSteps;
        this.maxSteps = maxSteps;
        this.maxOperand = maxOperand;
        this.maxFactor = maxFactor;
        this.maxValue = maxValue;
    }

    public int minSteps() {
        return minSteps;
    }

    public int maxSteps() {
        return maxSteps;
    }

    /** Largest quantity written in a problem (pencils in a box, dollars spent, km per hour). */
    public int maxOperand() {
        return maxOperand;
    }

    /** Largest multiplier or divisor written in a problem (number of boxes, hours, friends). */
    public int maxFactor() {
        return maxFactor;
    }

    /** Largest value any step of the solution may produce. */
    public int maxValue() {
        return maxValue;
    }

    /** The lower-case name used on the command line and in ids. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "easy", "medium" or "hard" (any case). */
    public static Difficulty parse(String s) {
        for (Difficulty d : values()) {
            if (d.name().equalsIgnoreCase(s.trim())) {
                return d;
            }
        }
        throw new BadInputException("unknown difficulty '" + s + "' (expected easy, medium or hard)");
    }
}
