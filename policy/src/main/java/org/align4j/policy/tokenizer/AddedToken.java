package org.align4j.policy.tokenizer;

/**
 * A token of a {@code tokenizer.json}'s {@code added_tokens}: matched in the text before pre-tokenization
 * and BPE, so it is never cut. {@code special} ones (bos, eos, chat markers) can be skipped when decoding.
 *
 * @param singleWord match only where no word character touches it on either side
 * @param lstrip     the match also takes the whitespace on its left
 * @param rstrip     the match also takes the whitespace on its right
 * @param normalized match against the normalized text instead of the raw text
 */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {

    /** A special token as Hugging Face writes them: matched in the raw text, nothing stripped. */
    public static AddedToken special(int id, String content) {
        return new AddedToken(id, content, false, false, false, false, true);
    }
}
