package org.align4j.reward.math;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A final-answer marker found in a completion: {@code \boxed{...}} (nested braces allowed),
 * {@code #### N} (GSM8K style, to the end of the line) or "The answer is N" (to the end of the
 * sentence). {@code start}/{@code end} delimit the whole marker in the completion.
 *
 * @param text   the answer as written, without the marker
 * @param marker which kind of marker
 * @param start  offset where the marker begins
 * @param end    offset just past the answer
 */
public record FinalAnswer(String text, Marker marker, int start, int end) {

    /** The kinds of final-answer markers. */
    public enum Marker { BOXED, HASHES, ANSWER_IS }

    private static final Pattern BOXED = Pattern.compile("\\\\(?:boxed|fbox)\\s*\\{");
    private static final Pattern HASHES = Pattern.compile("####[ \\t]*([^\\r\\n]*)");
    private static final Pattern ANSWER_IS = Pattern.compile(
            "(?i)\\b(?:the\\s+)?(?:final\\s+)?answer\\s+is\\s*:?[ \\t]*([^\\r\\n]*)");
    // "The answer is 6. Hope that helps": the answer ends at the first sentence break.
    private static final Pattern SENTENCE_BREAK = Pattern.compile("\\.\\s+(?=\\S)");

    /**
     * The completion's final answer: the last {@code \boxed{}} if any, else the last {@code ####},
     * else the last "the answer is". Boxed wins because it is the most deliberate marker.
     */
    public static Optional<FinalAnswer> extract(String completion) {
        List<FinalAnswer> all = findAll(completion);
        for (Marker kind : Marker.values()) {
            FinalAnswer last = null;
            for (FinalAnswer a : all) {
                if (a.marker == kind) {
                    last = a;
                }
            }
            if (last != null) {
                return Optional.of(last);
            }
        }
        return Optional.empty();
    }

    /**
     * Every marker in position order. A {@code ####} or "the answer is" whose answer contains a
     * {@code \boxed{}} is the same answer written twice, so only the boxed one is kept.
     */
    public static List<FinalAnswer> findAll(String completion) {
        List<FinalAnswer> boxed = findBoxed(completion);
        List<FinalAnswer> all = new ArrayList<>(boxed);
        for (Pattern p : List.of(HASHES, ANSWER_IS)) {
            Marker kind = p == HASHES ? Marker.HASHES : Marker.ANSWER_IS;
            Matcher m = p.matcher(completion);
            while (m.find()) {
                int answerStart = m.start(1);
                int answerEnd = m.end(1);
                if (kind == Marker.ANSWER_IS) {
                    Matcher br = SENTENCE_BREAK.matcher(completion).region(answerStart, answerEnd);
                    if (br.find()) {
                        answerEnd = br.start();
                    }
                }
                int s = m.start();
                int e = answerEnd;
                boolean wrapsBoxed = boxed.stream().anyMatch(b -> b.start >= s && b.start < m.end());
                if (!wrapsBoxed) {
                    all.add(new FinalAnswer(completion.substring(answerStart, answerEnd).strip(), kind, s, e));
                }
            }
        }
        all.sort(Comparator.comparingInt(FinalAnswer::start));
        return all;
    }

    private static List<FinalAnswer> findBoxed(String text) {
        List<FinalAnswer> found = new ArrayList<>();
        Matcher m = BOXED.matcher(text);
        int from = 0;
        while (m.find(from)) {
            int open = m.end() - 1;
            int close = matchingBrace(text, open);
            if (close < 0) {
                break;
            }
            found.add(new FinalAnswer(text.substring(open + 1, close).strip(), Marker.BOXED, m.start(), close + 1));
            from = close + 1;
        }
        return found;
    }

    /** Index of the brace closing the one at {@code open}, skipping escaped braces; -1 if unbalanced. */
    private static int matchingBrace(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                i++;
                continue;
            }
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }
}
