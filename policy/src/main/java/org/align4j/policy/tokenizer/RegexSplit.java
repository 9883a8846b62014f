package org.align4j.policy.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Split pre-tokenizer: finds the pattern's matches in a piece and cuts the piece around them
 * according to a {@link SplitBehavior}; with {@code invert} the unmatched spans are treated as the
 * delimiters instead. Also serves the Digits pre-tokenizer, which is a Split on numeric characters.
 */
final class RegexSplit implements PreTokenizer {

    private final Pattern pattern;
    private final SplitBehavior behavior;
    private final boolean invert;

    RegexSplit(Pattern pattern, SplitBehavior behavior, boolean invert) {
        this.pattern = pattern;
        this.behavior = behavior;
        this.invert = invert;
    }

    @Override
    public void split(String piece, Consumer<String> out) {
        if (piece.isEmpty()) {
            return;
        }
        Matcher m = pattern.matcher(piece);
        if (behavior == SplitBehavior.ISOLATED) {
            // Every span is a piece whatever its flag, so invert does not matter and no spans need storing.
            int prev = 0;
            while (m.find()) {
                if (m.start() > prev) {
                    out.accept(piece.substring(prev, m.start()));
                }
                if (m.end() > m.start()) {
                    out.accept(piece.substring(m.start(), m.end()));
                }
                prev = m.end();
            }
            if (prev < piece.length()) {
                out.accept(prev == 0 ? piece : piece.substring(prev));
            }
            return;
        }
        int cap = 8;
        int[] starts = new int[cap];
        int[] ends = new int[cap];
        boolean[] matched = new boolean[cap];
        int count = 0;
        int prev = 0;
        while (true) {
            boolean found = m.find();
            int from = found ? m.start() : piece.length();
            if (count + 2 > cap) {
                cap *= 2;
                starts = Arrays.copyOf(starts, cap);
                ends = Arrays.copyOf(ends, cap);
                matched = Arrays.copyOf(matched, cap);
            }
            if (from > prev) {
                starts[count] = prev;
                ends[count] = from;
                matched[count++] = invert;
            }
            if (!found) {
                break;
            }
            starts[count] = m.start();
            ends[count] = m.end();
            matched[count++] = !invert;
            prev = m.end();
        }
        List<int[]> kept = behavior.cut(starts, ends, matched, count);
        for (int[] span : kept) {
            if (span[1] > span[0]) {
                out.accept(piece.substring(span[0], span[1]));
            }
        }
    }
}
