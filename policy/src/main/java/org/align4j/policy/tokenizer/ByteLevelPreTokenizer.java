package org.align4j.policy.tokenizer;

import java.util.function.Consumer;

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
    private final boolean mapToBytes;

    ByteLevelPreTokenizer(boolean addPrefixSpace, boolean useRegex) {
        this(addPrefixSpace, useRegex ? new RegexSplit(HfRegex.compile(GPT2_PATTERN), SplitBehavior.ISOLATED, false) : null, true);
    }

    private ByteLevelPreTokenizer(boolean addPrefixSpace, RegexSplit gpt2Split, boolean mapToBytes) {
        this.addPrefixSpace = addPrefixSpace;
        this.gpt2Split = gpt2Split;
        this.mapToBytes = mapToBytes;
    }

    @Override
    public void split(String piece, Consumer<String> out) {
        String text = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
        Consumer<String> emit = mapToBytes ? word -> out.accept(ByteLevel.encode(word)) : out;
        if (gpt2Split == null) {
            emit.accept(text);
        } else {
            gpt2Split.split(text, emit);
        }
    }

    @Override
    public boolean endsWithByteMapping() {
        return mapToBytes;
    }

    @Override
    public PreTokenizer withoutFinalByteMapping() {
        return new ByteLevelPreTokenizer(addPrefixSpace, gpt2Split, false);
    }
}
