package org.align4j.policy.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes ids one at a time, as a sampler produces them. A byte-level token can end in the middle of a
 * UTF-8 character (an emoji is often split over two tokens), so the bytes of an unfinished character are
 * held back until the token that completes it arrives. The concatenation of everything returned by
 * {@link #next} and {@link #finish} equals {@link Tokenizer#decode} of the whole sequence.
 * Not thread-safe: one per sequence.
 */
public final class StreamingDecoder {

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final ByteArrayOutputStream scratch = new ByteArrayOutputStream(16);
    private byte[] pending = new byte[0];
    private int index;

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Takes the next id and returns the text it completes (often one token's text, sometimes ""). */
    public String next(int id) {
        scratch.reset();
        scratch.write(pending, 0, pending.length);
        if (tokenizer.appendBytes(id, skipSpecialTokens, index, scratch)) {
            index++;
        }
        byte[] all = scratch.toByteArray();
        int complete = completePrefix(all);
        pending = Arrays.copyOfRange(all, complete, all.length);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Ends the sequence: bytes of a character that never completed come out as U+FFFD. */
    public String finish() {
        String rest = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return rest;
    }

    /**
     * The length of {@code b} without its last character if that character is a valid but unfinished
     * UTF-8 sequence; anything else (complete or invalid) is left to be decoded now.
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // A character is at most 4 bytes, so an unfinished one starts within the last 3.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if (lead >= 0x80 && lead < 0xC0) {
                continue; // continuation byte: the lead is further back
            }
            int need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 1;
            if (need <= back || !validSecondByte(lead, back >= 2 ? b[n - back + 1] & 0xFF : -1)) {
                return n;
            }
            return n - back;
        }
        return n;
    }

    /** UTF-8 restricts the byte after E0, ED, F0 and F4 (no overlong forms, surrogates or values past U+10FFFF). */
    private static boolean validSecondByte(int lead, int second) {
        if (second < 0) {
            return true;
        }
        switch (lead) {
            case 0xE0: return second >= 0xA0 && second <= 0xBF;
            case 0xED: return second >= 0x80 && second <= 0x9F;
            case 0xF0: return second >= 0x90 && second <= 0xBF;
            case 0xF4: return second >= 0x80 && second <= 0x8F;
            default: return second >= 0x80 && second <= 0xBF;
        }
    }
}
