package org.align4j.policy.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.text.Normalizer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodingTest {

    @ParameterizedTest
    @ValueSource(strings = {"deepseek_v3", "qwen3"})
    void decodingAnEncodingGivesTheTextBack(String name) {
        Tokenizer tok = TestTokenizers.get(name);
        Random random = new Random(name.hashCode());
        for (int i = 0; i < 400; i++) {
            String s = RandomText.validUnicode(random, 1 + random.nextInt(50));
            // Qwen3 normalizes to NFC before encoding, so it gives back the NFC form; DeepSeek has no normalizer.
            String expected = name.equals("qwen3") ? Normalizer.normalize(s, Normalizer.Form.NFC) : s;
            assertEquals(expected, tok.decode(tok.encode(s, false), false));
        }
    }

    @Test
    void streamingDecodingHoldsBackUnfinishedCharacters() {
        Tokenizer tok = TestTokenizers.get("qwen3");
        String text = "emoji 😀👍🏽 深度求索 naïve";
        int[] ids = tok.encode(text, false);
        StreamingDecoder stream = tok.streamingDecoder(false);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = stream.next(id);
            assertFalse(piece.contains("\uFFFD"), "no replacement characters mid-stream: " + piece);
            out.append(piece);
        }
        out.append(stream.finish());
        assertEquals(text, out.toString());
    }

    @Test
    void decodingACutSequenceGivesReplacementCharactersNotErrors() {
        Tokenizer tok = TestTokenizers.get("qwen3");
        int[] ids = tok.encode("𠀀", false); // a rare ideograph: three byte-level tokens
        assertTrue(ids.length > 1, "the character takes several byte tokens");
        int[] cut = java.util.Arrays.copyOf(ids, ids.length - 1);
        assertTrue(tok.decode(cut, false).endsWith("\uFFFD"));
        StreamingDecoder stream = tok.streamingDecoder(false);
        StringBuilder out = new StringBuilder();
        for (int id : cut) {
            out.append(stream.next(id));
        }
        assertEquals("", out.toString());
        assertEquals("\uFFFD", stream.finish());
    }

    @Test
    void streamingDecodingMatchesWholeDecodingOnRandomIds() {
        Tokenizer tok = TestTokenizers.get("deepseek_v3");
        Random random = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int[] ids = new int[1 + random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(tok.vocabSize() + 10); // a few ids past the vocabulary are skipped
            }
            StreamingDecoder stream = tok.streamingDecoder(true);
            StringBuilder out = new StringBuilder();
            for (int id : ids) {
                out.append(stream.next(id));
            }
            out.append(stream.finish());
            assertEquals(tok.decode(ids, true), out.toString());
        }
    }

    @Test
    void skipsSpecialTokensOnRequest() {
        Tokenizer tok = TestTokenizers.get("qwen3");
        int[] ids = tok.encode("<|im_start|>user\nhi<|im_end|>", false);
        assertEquals(151644, ids[0]);
        assertEquals("<|im_start|>user\nhi<|im_end|>", tok.decode(ids, false));
        assertEquals("user\nhi", tok.decode(ids, true));
    }
}
