package org.align4j.cli;

import org.align4j.policy.tokenizer.Tokenizer;

/**
 * Token ids given on the command line or in an input file, checked before use: an id outside the vocabulary
 * (or a negative one) is an error naming where it was, never skipped or left to fail deep in a forward pass.
 */
final class TokenIds {

    private TokenIds() {
    }

    /** Every id in [0, vocabSize) of the model; {@code where} names the sequence, e.g. "in.json: input_ids[1]". */
    static void checkModel(int[] ids, int vocabSize, String where) {
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= vocabSize) {
                throw new IllegalArgumentException(where + "[" + j + "]: id " + ids[j]
                        + " is outside the model's vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    /** Every id names a token of the tokenizer. */
    static void checkTokenizer(int[] ids, Tokenizer tokenizer, String where) {
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= tokenizer.vocabSize()) {
                throw new IllegalArgumentException(where + "[" + j + "]: id " + ids[j]
                        + " is outside the tokenizer's vocabulary [0, " + tokenizer.vocabSize() + ")");
            }
            if (tokenizer.token(ids[j]).isEmpty()) {
                throw new IllegalArgumentException(where + "[" + j + "]: id " + ids[j] + " has no token in the tokenizer");
            }
        }
    }
}
