package org.align4j.examples.math;

import java.util.List;
import java.util.Map;

/**
 * A family of word problems: an opening that sets up a quantity, then events that change it one arithmetic
 * step each, then a question. Texts use placeholders filled per problem: {Name}, {He}/{he}, {His}/{his},
 * {him}, a word from each pool ({unit}, {item}, ...), the numbers {a}, {b} (opening) and {x} (event), and for
 * chains of people {cur}/{Cur} and {prev}. Step lines keep {claim}, where the solution writes "a op b = c".
 *
 * @param pools        words drawn once per problem, by placeholder name
 * @param middles      events followed by more text
 * @param finals       events that end the problem with their own question
 * @param question     the question when the last event is a middle one, or when there are no events
 * @param repeatEvents whether a middle event may occur twice in one problem (a chain of relatives), rather
 *                     than once (a second coupon would read oddly)
 */
record Template(String name, Map<String, List<String>> pools, List<Opening> openings, List<Event> middles,
                List<Event> finals, String question, boolean repeatEvents) {

    /** How a number in the problem is drawn. */
    enum Rule {
        /** A quantity: 2..maxOperand. */
        OPERAND,
        /** A count that multiplies or divides: 2..maxFactor. */
        FACTOR,
        /** A part of the current quantity: 2..min(maxOperand, state - 1), so something is left. */
        BELOW_STATE,
        /** A divisor of the current quantity in 2..maxFactor, so sharing is exact. */
        DIVISOR,
        /** A round total above the current quantity (a trip length, a price to save for). */
        ROUND_ABOVE,
        /** The smallest bank note above the current quantity (or the next one). */
        BILL
    }

    enum OpeningKind {
        /** States a number; no step. */
        GIVEN,
        /** {a} groups of {b}, or {a} per unit for {b} units: one step a * b. */
        PRODUCT,
        /** {a} shared among {b}: one step a / b, with a drawn as a multiple of b. */
        QUOTIENT
    }

    record Opening(OpeningKind kind, Rule a, Rule b, String sentence, String line) {
        int steps() {
            return kind == OpeningKind.GIVEN ? 0 : 1;
        }
    }

    /**
     * One step applied to the current quantity: state op x, or x op state when {@code xFirst} (a total minus
     * what is done so far). A {@code newPerson} event introduces the next relative of a chain: {prev} becomes
     * the last person and {cur} a new one.
     */
    record Event(char op, boolean xFirst, Rule x, String sentence, String line, boolean newPerson) {
    }

    static Event event(char op, Rule x, String sentence, String line) {
        return new Event(op, false, x, sentence, line, false);
    }

    static Event fromTotal(Rule x, String sentence, String line) {
        return new Event('-', true, x, sentence, line, false);
    }

    static Event relative(char op, Rule x, String sentence, String line) {
        return new Event(op, false, x, sentence, line, true);
    }
}
