package org.align4j.policy.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * GPT-2's reversible mapping between the 256 byte values and 256 printable characters, which lets a
 * BPE vocabulary of strings cover every byte sequence. Printable Latin-1 bytes map to themselves;
 * the other 68 bytes map, in byte order, to U+0100 and up (so a space becomes 'Ġ', a newline 'Ċ').
 */
public final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character, -1 where the character stands for no byte. The largest mapped char is U+0143. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The character that stands for {@code b} (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte that {@code c} stands for, or -1 when {@code c} is not one of the 256 byte characters. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * The UTF-8 bytes of {@code text}, each written as its byte character. An unpaired surrogate (which
     * no UTF-8 string can hold) is written as U+FFFD, as {@link String#getBytes} would replace it.
     */
    public static String encode(CharSequence text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                out.append(BYTE_TO_CHAR[c]);
            } else if (c < 0x800) {
                out.append(BYTE_TO_CHAR[0xC0 | (c >> 6)]).append(BYTE_TO_CHAR[0x80 | (c & 0x3F)]);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, text.charAt(++i));
                out.append(BYTE_TO_CHAR[0xF0 | (cp >> 18)])
                        .append(BYTE_TO_CHAR[0x80 | ((cp >> 12) & 0x3F)])
                        .append(BYTE_TO_CHAR[0x80 | ((cp >> 6) & 0x3F)])
                        .append(BYTE_TO_CHAR[0x80 | (cp & 0x3F)]);
            } else {
                char v = Character.isSurrogate(c) ? '\uFFFD' : c;
                out.append(BYTE_TO_CHAR[0xE0 | (v >> 12)])
                        .append(BYTE_TO_CHAR[0x80 | ((v >> 6) & 0x3F)])
                        .append(BYTE_TO_CHAR[0x80 | (v & 0x3F)]);
            }
        }
        return out.toString();
    }

    /**
     * Appends the bytes {@code token} stands for. As Hugging Face's ByteLevel decoder does, a token holding
     * any character outside the byte alphabet (an added token such as {@code <｜User｜>}) is written as
     * its own UTF-8 bytes instead.
     */
    static void appendBytes(String token, ByteArrayOutputStream out) {
        int n = token.length();
        for (int i = 0; i < n; i++) {
            if (byteOf(token.charAt(i)) < 0) {
                byte[] raw = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(raw, 0, raw.length);
                return;
            }
        }
        for (int i = 0; i < n; i++) {
            out.write(byteOf(token.charAt(i)));
        }
    }
}
