package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompletionTextTest {

    /** Token id i decodes to PIECES[i]. */
    static final String[] PIECES = {"The", " answer", " is", " 4", "2", ".", "\n", "##", "#", " done", "", "x"};

    static TextStream pieces() {
        return new TextStream() {
            @Override
            public String next(int id) {
                return PIECES[id];
            }

            @Override
            public String finish() {
                return "";
            }
        };
    }

    private static CompletionText feed(List<String> stops, int... ids) {
        CompletionText t = new CompletionText(pieces(), stops, ids.length);
        for (int i = 0; i < ids.length; i++) {
            boolean stopped = t.append(ids[i]);
            assertEquals(i == ids.length - 1, stopped, "stop detected at token " + i);
        }
        return t;
    }

    @Test
    void stopAtATokenBoundaryDropsTheStopTokens() {
        CompletionText t = feed(List.of("\n"), 0, 1, 2, 3, 4, 5, 6);
        assertEquals("The answer is 42.", t.finish());
        assertEquals(6, t.tokensToKeep());
    }

    @Test
    void stopInsideATokenKeepsTheStraddlingToken() {
        // " 4" straddles the cut of stop "4": its text starts before the stop string.
        CompletionText t = feed(List.of("42"), 0, 1, 2, 3, 4);
        assertEquals("The answer is ", t.finish());
        assertEquals(4, t.tokensToKeep());
    }

    @Test
    void stopSpanningTokensIsFoundWhenItCompletes() {
        CompletionText t = feed(List.of("is 42"), 0, 1, 2, 3, 4);
        assertEquals("The answer ", t.finish());
        assertEquals(3, t.tokensToKeep()); // " is" starts before the cut
    }

    @Test
    void earliestStopWinsAndEmptyTokensAreHarmless() {
        CompletionText t = feed(List.of("#", "##", "."), 0, 10, 1, 7);
        assertEquals("The answer", t.finish());
        assertEquals(3, t.tokensToKeep()); // "The", "", " answer"
    }

    @Test
    void stopAtTheStartKeepsNothing() {
        CompletionText t = feed(List.of("The"), 0);
        assertEquals("", t.finish());
        assertEquals(0, t.tokensToKeep());
    }

    @Test
    void withoutStopEverythingIsKept() {
        CompletionText t = new CompletionText(pieces(), List.of("zzz"), 4);
        assertFalse(t.append(0));
        assertFalse(t.append(9));
        assertEquals("The done", t.finish());
        assertEquals(2, t.tokensToKeep());
        assertFalse(new CompletionText(pieces(), List.of(), 1).append(11));
    }
}
