package org.align4j.reward.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArithmeticClaimsTest {

    private static List<ArithmeticClaims.Claim> find(String line) {
        return ArithmeticClaims.find(line);
    }

    private static boolean onlyClaimHolds(String line) {
        List<ArithmeticClaims.Claim> claims = find(line);
        assertEquals(1, claims.size(), "claims in: " + line);
        return claims.get(0).holds();
    }

    @Test
    void demoLines() {
        assertTrue(onlyClaimHolds("Tom has 3 apples and buys 5 more. 3 + 5 = 8."));
        assertTrue(onlyClaimHolds("He gives away 2. 8 - 2 = 6."));
        assertFalse(onlyClaimHolds("He gives away 2. 8 - 2 = 5."));
        assertEquals("3 + 5 = 8", find("Tom has 3 apples and buys 5 more. 3 + 5 = 8.").get(0).text());
    }

    @Test
    void operatorsAndPrecedence() {
        assertTrue(onlyClaimHolds("2 + 3 * 4 = 14"));
        assertTrue(onlyClaimHolds("(2 + 3) * 4 = 20"));
        assertTrue(onlyClaimHolds("12 / 4 = 3"));
        assertTrue(onlyClaimHolds("3 x 4 = 12"));
        assertTrue(onlyClaimHolds("3 × 4 = 12"));
        assertTrue(onlyClaimHolds("12 ÷ 4 = 3"));
        assertTrue(onlyClaimHolds("$3 \\times 4 = 12$"));
        assertTrue(onlyClaimHolds("3 - 5 = -2"));
        assertTrue(onlyClaimHolds("-3 + 5 = 2"));
        assertTrue(onlyClaimHolds("8 = 3 + 5"));
        assertFalse(onlyClaimHolds("2 + 3 * 4 = 20"));
    }

    @Test
    void decimalsMoneyAndThousands() {
        assertTrue(onlyClaimHolds("0.1 + 0.2 = 0.3"));
        assertTrue(onlyClaimHolds("$1.50 * 4 = $6"));
        assertTrue(onlyClaimHolds("1,000 + 250 = 1,250"));
    }

    @Test
    void roundedDecimalResultsFollowTheirWrittenPlaces() {
        assertTrue(onlyClaimHolds("10 / 3 = 3.33"));
        assertTrue(onlyClaimHolds("2 / 3 = 0.67"));
        assertFalse(onlyClaimHolds("2 / 3 = 0.66"));
        assertFalse(onlyClaimHolds("10 / 3 = 3"));
    }

    @Test
    void divisionByZeroIsFalse() {
        assertFalse(onlyClaimHolds("5 / 0 = 0"));
    }

    @Test
    void chainsAreCheckedLinkByLink() {
        List<ArithmeticClaims.Claim> claims = find("3 + 5 = 8 = 2 * 4");
        assertEquals(2, claims.size());
        assertTrue(claims.stream().allMatch(ArithmeticClaims.Claim::holds));
        assertFalse(find("5 - 2 = 3 - 1 = 2").get(0).holds());
    }

    @Test
    void notClaims() {
        assertTrue(find("Let x = 5.").isEmpty());
        assertTrue(find("Total = 8").isEmpty());
        assertTrue(find("3 apples + 5 apples = 8 apples").isEmpty());
        assertTrue(find("So 2x = 8").isEmpty());
        assertTrue(find("if a <= b then").isEmpty());
        assertTrue(find("He has 3 apples.").isEmpty());
    }

    @Test
    void twoClaimsOnOneLine() {
        List<ArithmeticClaims.Claim> claims = find("3 + 5 = 8, and 8 - 2 = 7.");
        assertEquals(2, claims.size());
        assertTrue(claims.get(0).holds());
        assertFalse(claims.get(1).holds());
    }
}
