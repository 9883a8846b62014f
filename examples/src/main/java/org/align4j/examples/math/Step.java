package org.align4j.examples.math;

import java.util.OptionalLong;

/**
 * One line of a solution: an arithmetic claim {@code left op right = result} written into a sentence
 * ({@code line} holds {@link #CLAIM} where the claim goes). Operands are either numbers from the problem
 * text or results of earlier steps; keeping that link is what lets a wrong result be carried forward into the
 * later lines of a corrupted solution.
 */
public record Step(Operand left, char op, Operand right, String line) {

    /** Placeholder in {@link #line} for the rendered claim "a op b = c". */
    public static final String CLAIM = "{claim}";

    /** A number a step works on. */
    public sealed interface Operand permits Given, Result {
    }

    /** A number written in the problem text. */
    public record Given(long value) implements Operand {
    }

    /** The result of an earlier step, by its index. */
    public record Result(int step) implements Operand {
    }

    public Step {
        if ("+-*/".indexOf(op) < 0) {
            throw new IllegalArgumentException("unknown operator '" + op + "'");
        }
        if (!line.contains(CLAIM)) {
            throw new IllegalArgumentException("step line has no " + CLAIM + ": " + line);
        }
    }

    /**
     * a op b when the result is a non-negative integer that fits in a long; empty for an inexact division, a
     * negative difference or an overflow, which the generator never writes (word problems here have whole,
     * non-negative answers).
     */
    public static OptionalLong apply(char op, long a, long b) {
        try {
            long r = switch (op) {
                case '+' -> Math.addExact(a, b);
                case '-' -> Math.subtractExact(a, b);
                case '*' -> Math.multiplyExact(a, b);
                case '/' -> {
                    if (b == 0 || a % b != 0) {
                        yield -1;
                    }
                    yield a / b;
                }
                default -> throw new IllegalArgumentException("unknown operator '" + op + "'");
            };
            return r < 0 ? OptionalLong.empty() : OptionalLong.of(r);
        } catch (ArithmeticException overflow) {
            return OptionalLong.empty();
        }
    }

    /** The line with its claim written out. */
    String render(long a, long b, long result) {
        return line.replace(CLAIM, a + " " + op + " " + b + " = " + result);
    }
}
