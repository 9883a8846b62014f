package org.align4j.policy.tokenizer;

import java.util.List;
import java.util.Locale;

/** The normalizer of a {@code tokenizer.json}: rewrites the text before pre-tokenization. */
interface Normalizer {

    String normalize(String text);

    /** NFC, NFD, NFKC or NFKD. */
    static Normalizer unicode(java.text.Normalizer.Form form) {
        return text -> java.text.Normalizer.isNormalized(text, form) ? text : java.text.Normalizer.normalize(text, form);
    }

    /**
     * Lowercases character by character, as Hugging Face does (no context rules such as a word-final
     * sigma; one character may become several, as 'İ' becomes "i̇").
     */
    static Normalizer lowercase() {
        return text -> {
            boolean ascii = text.chars().allMatch(c -> c < 0x80);
            if (ascii) {
                return text.toLowerCase(Locale.ROOT);
            }
            StringBuilder out = new StringBuilder(text.length());
            text.codePoints().forEach(cp -> out.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT)));
            return out.toString();
        };
    }

    static Normalizer sequence(List<Normalizer> steps) {
        if (steps.size() == 1) {
            return steps.get(0);
        }
        Normalizer[] all = steps.toArray(new Normalizer[0]);
        return text -> {
            String s = text;
            for (Normalizer n : all) {
                s = n.normalize(s);
            }
            return s;
        };
    }

    static Normalizer identity() {
        return text -> text;
    }
}
