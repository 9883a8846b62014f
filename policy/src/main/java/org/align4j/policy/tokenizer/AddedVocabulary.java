package org.align4j.policy.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Finds added tokens in text, the way Hugging Face does before normalization and pre-tokenization:
 * scanning left to right, the longest token starting at the leftmost position wins, matches do not
 * overlap, and a match refused by {@code single_word} is skipped over, not retried shorter.
 */
final class AddedVocabulary {

    private static final Pattern WORD_CHAR = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WHITESPACE = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS);

    /** A character trie over token contents; {@code token} is set where a content ends. */
    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean empty;
    /** The characters some token starts with: most text has none of them, and this skips it fast. */
    private final java.util.BitSet firstChars = new java.util.BitSet(1 << 16);

    AddedVocabulary(List<AddedToken> tokens) {
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) {
                continue;
            }
            Node node = root;
            for (int i = 0; i < t.content().length(); i++) {
                node = node.children.computeIfAbsent(t.content().charAt(i), c -> new Node());
            }
            node.token = t;
            firstChars.set(t.content().charAt(0));
        }
        this.empty = root.children.isEmpty();
    }

    /**
     * Cuts {@code text} into spans: {@code onText} gets the text between tokens (never empty),
     * {@code onToken} each token found with the text it covers.
     */
    void split(String text, java.util.function.Consumer<String> onText, BiConsumer<AddedToken, String> onToken) {
        if (empty) {
            if (!text.isEmpty()) {
                onText.accept(text);
            }
            return;
        }
        int n = text.length();
        int emitted = 0; // text before this has been handed out
        int i = 0;
        while (i < n) {
            if (!firstChars.get(text.charAt(i))) {
                i++;
                continue;
            }
            Node child = root.children.get(text.charAt(i));
            if (child == null) {
                i++;
                continue;
            }
            // Longest token starting at i.
            AddedToken best = null;
            int bestEnd = -1;
            Node node = child;
            int j = i + 1;
            while (true) {
                if (node.token != null) {
                    best = node.token;
                    bestEnd = j;
                }
                if (j >= n) {
                    break;
                }
                node = node.children.get(text.charAt(j));
                if (node == null) {
                    break;
                }
                j++;
            }
            if (best == null) {
                i++;
                continue;
            }
            int start = i;
            int stop = bestEnd;
            if (best.singleWord()) {
                boolean startOk = start == 0 || !isWord(text.codePointBefore(start));
                boolean stopOk = stop == n || !isWord(text.codePointAt(stop));
                if (!startOk || !stopOk) {
                    i = stop; // as Hugging Face's leftmost-longest iterator, resume after the refused match
                    continue;
                }
            }
            if (best.lstrip()) {
                int s = start;
                while (s > emitted && isWhitespace(text.codePointBefore(s))) {
                    s -= Character.charCount(text.codePointBefore(s));
                }
                start = s;
            }
            if (best.rstrip()) {
                while (stop < n && isWhitespace(text.codePointAt(stop))) {
                    stop += Character.charCount(text.codePointAt(stop));
                }
            }
            if (start > emitted) {
                onText.accept(text.substring(emitted, start));
            }
            onToken.accept(best, text.substring(start, stop));
            emitted = stop;
            i = stop;
        }
        if (emitted < n) {
            onText.accept(text.substring(emitted));
        }
    }

    private static boolean isWord(int cp) {
        return WORD_CHAR.matcher(new String(Character.toChars(cp))).matches();
    }

    private static boolean isWhitespace(int cp) {
        return WHITESPACE.matcher(new String(Character.toChars(cp))).matches();
    }
}
