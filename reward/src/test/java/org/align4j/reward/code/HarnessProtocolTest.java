package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HarnessProtocolTest {

    @Test
    void linesWithoutTheNonceAreIgnoredAndTheFirstReportWins() {
        String nonce = HarnessProtocol.newNonce();
        String output = String.join("\n",
                "0 PASS", "PASS 1", "align4j-00000000000000000000000000000000 1 PASS",
                "noise" + nonce + " 0 FAIL AssertionError: ",
                nonce + " 0 PASS",
                nonce + " 1 PASS",
                nonce + " 7 PASS",
                nonce + " DONE");
        HarnessProtocol.Parsed p = HarnessProtocol.parse(output, nonce, 2);
        assertEquals(Map.of(0, false, 1, true), p.passed());
        assertEquals("AssertionError:", p.failures().get(0));
        assertTrue(p.done());
    }

    @Test
    void withoutDoneTheHarnessDidNotFinish() {
        String nonce = HarnessProtocol.newNonce();
        assertFalse(HarnessProtocol.parse(nonce + " 0 PASS\n", nonce, 1).done());
    }

    @Test
    void noncesDifferAndResultLinesAreLeftOutOfLogs() {
        String nonce = HarnessProtocol.newNonce();
        assertNotEquals(nonce, HarnessProtocol.newNonce());
        assertEquals("hello\nbye\n", HarnessProtocol.withoutResults("hello\n" + nonce + " 0 PASS\nbye\n", nonce));
    }

    @Test
    void javaTestsMayBeWrittenAsAsserts() {
        assertEquals("Solution.f(1) == 2", JavaHarness.expression("  assert Solution.f(1) == 2;  "));
        assertEquals("(a(1))", JavaHarness.expression("assert(a(1));"));
        assertEquals("x > 0", JavaHarness.expression("x > 0"));
    }
}
