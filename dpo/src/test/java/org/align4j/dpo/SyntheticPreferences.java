package org.align4j.dpo;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.Rng;

/**
 * A pre-tokenized preference set with a rule to learn: the prompt is BOS and three content tokens; the chosen
 * completion repeats the prompt's last token, the rejected one gives a different token; both end with EOS.
 */
final class SyntheticPreferences {
    static final int VOCAB = 24;
    static final int BOS = 1;
    static final int EOS = 2;
    private static final int FIRST_CONTENT = 3;

    private SyntheticPreferences() {
    }

    static List<PreferencePair> generate(int n, long seed) {
        Rng rng = new Rng(seed);
        int content = VOCAB - FIRST_CONTENT;
        List<PreferencePair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int a = FIRST_CONTENT + rng.nextInt(content);
            int b = FIRST_CONTENT + rng.nextInt(content);
            int c = FIRST_CONTENT + rng.nextInt(content);
            int wrong = FIRST_CONTENT + (c - FIRST_CONTENT + 1 + rng.nextInt(content - 1)) % content;
            out.add(new PreferencePair(new int[] {BOS, a, b, c}, new int[] {c, EOS}, new int[] {wrong, EOS},
                    "synthetic:" + (i + 1)));
        }
        return out;
    }
}
