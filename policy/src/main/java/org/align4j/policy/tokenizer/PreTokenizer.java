package org.align4j.policy.tokenizer;

import java.util.function.Consumer;

/**
 * One pre-tokenization step of a {@code tokenizer.json}: cuts a piece of text into smaller pieces (the
 * words BPE sees), possibly rewriting them. Steps chain: each piece one step emits is fed to the next.
 */
interface PreTokenizer {

    /** Emits the pieces of {@code piece}, in order, never an empty one. */
    void split(String piece, Consumer<String> out);

    /** Whether the last thing this step does is rewriting pieces in byte-level characters. */
    default boolean endsWithByteMapping() {
        return false;
    }

    /** This step without that final rewriting (only called when {@link #endsWithByteMapping}). */
    default PreTokenizer withoutFinalByteMapping() {
        throw new UnsupportedOperationException();
    }
}
