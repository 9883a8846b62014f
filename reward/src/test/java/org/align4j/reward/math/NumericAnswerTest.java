package org.align4j.reward.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NumericAnswerTest {

    private static Rational r(long n, long d) {
        return Rational.of(BigInteger.valueOf(n), BigInteger.valueOf(d));
    }

    private static Optional<Rational> parse(String s) {
        return NumericAnswer.parse(s);
    }

    @Test
    void integersDecimalsAndNegatives() {
        assertEquals(Optional.of(r(72, 1)), parse("72"));
        assertEquals(Optional.of(r(-3, 1)), parse("-3"));
        assertEquals(Optional.of(r(-3, 1)), parse("\u22123"));
        assertEquals(Optional.of(r(1, 2)), parse("0.5"));
        assertEquals(Optional.of(r(1, 2)), parse(".5"));
        assertEquals(Optional.of(r(-1, 2)), parse("-.50"));
        assertEquals(Optional.of(r(5, 1)), parse("+5"));
    }

    @Test
    void decimalsAreExactNotFloatingPoint() {
        assertEquals(r(3, 10), parse("0.3").orElseThrow());
        assertEquals(parse("0.30"), parse("0.3"));
        assertTrue(!parse("0.3333").equals(parse("1/3")));
    }

    @Test
    void thousandsSeparators() {
        assertEquals(Optional.of(r(1234567, 1)), parse("1,234,567"));
        assertEquals(Optional.of(r(24691, 2)), parse("12,345.5"));
        assertEquals(Optional.empty(), parse("1,23"));
    }

    @Test
    void fractionsPlainAndLatex() {
        assertEquals(Optional.of(r(3, 4)), parse("3/4"));
        assertEquals(Optional.of(r(3, 4)), parse("6 / 8"));
        assertEquals(Optional.of(r(-3, 4)), parse("-3/4"));
        assertEquals(Optional.of(r(3, 4)), parse("\\frac{3}{4}"));
        assertEquals(Optional.of(r(3, 4)), parse("\\dfrac{3}{4}"));
        assertEquals(Optional.of(r(3, 4)), parse("\\tfrac{3}{4}"));
        assertEquals(Optional.of(r(-1, 2)), parse("-\\frac{1}{2}"));
        assertEquals(Optional.of(r(1, 2)), parse("\\frac12"));
        assertEquals(Optional.of(r(5, 2)), parse("\\frac{2.5}{1}"));
        assertEquals(Optional.empty(), parse("1/0"));
    }

    @Test
    void wrappersUnitsAndPunctuation() {
        assertEquals(Optional.of(r(18, 1)), parse("$18$"));
        assertEquals(Optional.of(r(18, 1)), parse("\\$18."));
        assertEquals(Optional.of(r(18, 1)), parse("18 dollars"));
        assertEquals(Optional.of(r(5, 1)), parse("5\\text{ apples}"));
        assertEquals(Optional.of(r(50, 1)), parse("50\\%"));
        assertEquals(Optional.of(r(1000, 1)), parse("1{,}000"));
    }

    @Test
    void notASingleNumber() {
        assertEquals(Optional.empty(), parse("x + 1"));
        assertEquals(Optional.empty(), parse("6 or 7"));
        assertEquals(Optional.empty(), parse("3 + 4"));
        assertEquals(Optional.empty(), parse(""));
        assertEquals(Optional.empty(), parse("seven"));
    }
}
