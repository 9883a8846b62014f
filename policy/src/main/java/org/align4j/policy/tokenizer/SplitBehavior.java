package org.align4j.policy.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * What a Split pre-tokenizer does with the delimiters its pattern matches, as in Hugging Face's
 * {@code SplitDelimiterBehavior}. The input to {@link #cut} covers the whole text with alternating
 * matched and unmatched spans.
 */
enum SplitBehavior {
    /** Drop the delimiters. */
    REMOVED,
    /** Every delimiter becomes a piece of its own. */
    ISOLATED,
    /** A delimiter is appended to the piece before it. */
    MERGED_WITH_PREVIOUS,
    /** A delimiter is prepended to the piece after it. */
    MERGED_WITH_NEXT,
    /** Consecutive delimiters form one piece. */
    CONTIGUOUS;

    static SplitBehavior fromJson(String name) {
        switch (name) {
            case "Removed": return REMOVED;
            case "Isolated": return ISOLATED;
            case "MergedWithPrevious": return MERGED_WITH_PREVIOUS;
            case "MergedWithNext": return MERGED_WITH_NEXT;
            case "Contiguous": return CONTIGUOUS;
            default: throw new IllegalArgumentException("unsupported Split behavior '" + name + "'");
        }
    }

    /**
     * Turns the spans {@code [starts[i], ends[i])} with their match flags into the pieces to keep, as
     * {start, end} pairs.
     */
    List<int[]> cut(int[] starts, int[] ends, boolean[] matched, int count) {
        List<int[]> kept = new ArrayList<>(count);
        switch (this) {
            case REMOVED:
                for (int i = 0; i < count; i++) {
                    if (!matched[i]) {
                        kept.add(new int[] {starts[i], ends[i]});
                    }
                }
                return kept;
            case ISOLATED:
                for (int i = 0; i < count; i++) {
                    kept.add(new int[] {starts[i], ends[i]});
                }
                return kept;
            case CONTIGUOUS: {
                // Spans with the same flag as the span before them join it; the first span never joins.
                boolean previous = false;
                for (int i = 0; i < count; i++) {
                    if (matched[i] == previous && !kept.isEmpty()) {
                        kept.get(kept.size() - 1)[1] = ends[i];
                    } else {
                        kept.add(new int[] {starts[i], ends[i]});
                    }
                    previous = matched[i];
                }
                return kept;
            }
            case MERGED_WITH_PREVIOUS: {
                boolean previous = false;
                for (int i = 0; i < count; i++) {
                    if (matched[i] && !previous && !kept.isEmpty()) {
                        kept.get(kept.size() - 1)[1] = ends[i];
                    } else {
                        kept.add(new int[] {starts[i], ends[i]});
                    }
                    previous = matched[i];
                }
                return kept;
            }
            default: {
                // MERGED_WITH_NEXT mirrors MERGED_WITH_PREVIOUS, walking from the end.
                boolean previous = false;
                for (int i = count - 1; i >= 0; i--) {
                    if (matched[i] && !previous && !kept.isEmpty()) {
                        kept.get(kept.size() - 1)[0] = starts[i];
                    } else {
                        kept.add(new int[] {starts[i], ends[i]});
                    }
                    previous = matched[i];
                }
                java.util.Collections.reverse(kept);
                return kept;
            }
        }
    }
}
