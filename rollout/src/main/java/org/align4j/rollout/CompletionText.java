package org.align4j.rollout;

import java.util.List;

/**
 * The text of a completion as it grows, and where a stop string cuts it. The text is cut exactly before
 * the first stop string that appears (earliest start among those completed by the newest token); the
 * completion keeps the fewest leading tokens whose text covers the cut text: tokens wholly inside or after
 * the stop string are dropped, and a token whose text straddles the cut is kept (its ids then decode to a
 * little more than the cut text). A stop string at the very start leaves no tokens.
 */
final class CompletionText {
    private final TextStream stream;
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    /** textEnd[j]: length of the text after j tokens. */
    private final int[] textEnd;
    private int tokens;
    private int cut = -1;

    CompletionText(TextStream stream, List<String> stops, int maxTokens) {
        this.stream = stream;
        this.stops = stops;
        this.textEnd = new int[maxTokens + 1];
    }

    /** Appends the text of the next token; returns true when a stop string has appeared. */
    boolean append(int id) {
        int before = text.length();
        text.append(stream.next(id));
        textEnd[++tokens] = text.length();
        if (stops.isEmpty() || text.length() == before) {
            return false;
        }
        int best = -1;
        for (String s : stops) {
            // Only an occurrence that ends in the new text is new; earlier ones were checked before.
            int at = text.indexOf(s, Math.max(0, before - s.length() + 1));
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        if (best < 0) {
            return false;
        }
        cut = best;
        return true;
    }

    /** The number of leading tokens to keep: all of them, or those that cover the text up to the stop string. */
    int tokensToKeep() {
        if (cut < 0) {
            return tokens;
        }
        int j = 0;
        while (textEnd[j] < cut) {
            j++;
        }
        return j;
    }

    /** The final text: cut before the stop string, or everything including characters held back. */
    String finish() {
        if (cut >= 0) {
            return text.substring(0, cut);
        }
        return text.append(stream.finish()).toString();
    }
}
