package org.align4j.policy.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * The decoder of a {@code tokenizer.json}: turns the token strings back into the bytes of the text.
 * Decoding goes through bytes, not strings, so that a sequence cut in the middle of a UTF-8 character
 * (one token at a time, during sampling) loses nothing.
 */
interface TokenDecoder {

    /**
     * Appends the bytes of token number {@code index} of the sequence being decoded.
     */
    void appendBytes(String token, int index, ByteArrayOutputStream out);

    /** ByteLevel: every token's characters are mapped back to the bytes they stand for. */
    static TokenDecoder byteLevel() {
        return (token, index, out) -> ByteLevel.appendBytes(token, out);
    }

    /** No decoder in the file: Hugging Face joins the tokens with spaces. */
    static TokenDecoder joinWithSpaces() {
        return (token, index, out) -> {
            if (index > 0) {
                out.write(' ');
            }
            byte[] b = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.write(b, 0, b.length);
        };
    }
}
