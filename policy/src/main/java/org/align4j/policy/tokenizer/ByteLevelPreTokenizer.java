package org.align4j.policy.tokenizer;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The ByteLevel pre-tokenizer: optionally prefixes each piece with a space ({@code add_prefix_space}),
 * optionally cuts it with GPT-2's word regex ({@code use_regex}), then rewrites every piece as its UTF-8
 * bytes in {@link ByteLevel} characters, the alphabet the BPE vocabulary is written in.
 * ({@code trim_offsets} only moves character offsets, which this tokenizer does not report.)
 */
final class ByteLevelPreTokenizer implements PreTokenizer {

    /** GPT-2's pre-tokenization regex, as Hugging Face's ByteLevel uses it. */
    static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final boolean addPrefixSpace;
    private final RegexSplit gpt2Split;

    ByteLevelPreTokenizer(boolean addPrefixSpace, boolean useRegex) {
        this.addPrefixSpace = addPrefixSpace;
        Pattern p = HfRegex.compile(GPT2_PATTERN);
        this.gpt2Split = useRegex ? new RegexSplit(p, SplitBehavior.ISOLATED, false) : null;
    }

    @Override
    public void split(String piece, Consumer<String> out) {
        String text = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
        if (gpt2Split == null) {
            out.accept(ByteLevel.encode(text));
        } else {
            gpt2Split.split(text, word -> out.accept(ByteLevel.encode(word)));
        }
    }
}
