package org.align4j.policy.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ByteLevelTest {

    @Test
    void mapsEveryByteToADistinctPrintableCharacter() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            assertEquals(b, ByteLevel.byteOf(c));
            seen.add(c);
        }
        assertEquals(256, seen.size());
        assertEquals('Ġ', ByteLevel.charOf(' '));
        assertEquals('Ċ', ByteLevel.charOf('\n'));
        assertEquals('a', ByteLevel.charOf('a'));
        assertEquals(-1, ByteLevel.byteOf('你'));
    }

    @Test
    void encodesUtf8BytesIncludingSupplementaryCharacters() {
        String text = "é 你😀";
        String encoded = ByteLevel.encode(text);
        assertEquals(text.getBytes(StandardCharsets.UTF_8).length, encoded.length());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteLevel.appendBytes(encoded, out);
        assertEquals(text, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void writesATokenOutsideTheByteAlphabetAsItsOwnUtf8() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteLevel.appendBytes("<｜User｜>", out);
        assertEquals("<｜User｜>", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void writesAnUnpairedSurrogateAsReplacementCharacter() {
        assertEquals(ByteLevel.encode("\uFFFD"), ByteLevel.encode("\uD800"));
    }
}
