package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerLoaderTest {

    @Test
    void loadsAGzippedTokenizerJsonFromItsDirectoryWithItsConfig() throws URISyntaxException {
        Path dir = Path.of(TokenizerLoaderTest.class.getResource("/tokenizers/qwen3/tokenizer.json.gz").toURI()).getParent();
        Tokenizer qwen = Tokenizer.load(dir);
        assertNull(qwen.bosId());
        assertEquals(151645, qwen.eosId()); // <|im_end|>
        assertEquals(151643, qwen.padId()); // <|endoftext|>
        assertEquals(151669, qwen.vocabSize());
        assertArrayEquals(new int[] {9707, 11, 1879, 0}, qwen.encode("Hello, world!", false));
        Tokenizer sameFile = Tokenizer.load(dir.resolve("tokenizer.json.gz"));
        assertEquals(qwen.eosId(), sameFile.eosId());
    }

    @Test
    void deepSeekTakesBosFromTheConfigAndAddsItAsTransformersDoes() {
        Tokenizer ds = TestTokenizers.get("deepseek_v3");
        assertEquals(0, ds.bosId());
        assertEquals(1, ds.eosId());
        assertEquals(1, ds.padId());
        int[] plain = ds.encode("Hi", false);
        int[] special = ds.encode("Hi", true);
        assertEquals(plain.length + 1, special.length);
        assertEquals(0, special[0]);
        assertEquals(0, ds.encode("<｜begin▁of▁sentence｜>Hi", true)[0]);
        assertEquals(plain.length + 1, ds.encode("<｜begin▁of▁sentence｜>Hi", true).length, "no second bos");
    }

    @Test
    void tokenLookupCoversAddedTokensAndTheVocab() {
        Tokenizer qwen = TestTokenizers.get("qwen3");
        assertEquals(151644, qwen.tokenId("<|im_start|>").getAsInt());
        assertEquals(9707, qwen.tokenId("Hello").getAsInt());
        assertTrue(qwen.tokenId("no such token").isEmpty());
        assertEquals("<|im_start|>", qwen.token(151644).orElseThrow());
        assertTrue(qwen.isSpecial(151644));
        assertTrue(!qwen.isSpecial(9707));
    }

    @Test
    void refusesUnsupportedComponentsNamingTheirType() {
        assertRefused("normalizer", "{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"\"}", "'Precompiled'");
        assertRefused("pre_tokenizer", "{\"type\":\"Metaspace\",\"replacement\":\"_\"}", "'Metaspace'");
        assertRefused("pre_tokenizer", "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Whitespace\"}]}",
                "pre_tokenizer.pretokenizers[0]: unsupported type 'Whitespace'");
        assertRefused("post_processor", "{\"type\":\"RobertaProcessing\"}", "'RobertaProcessing'");
        assertRefused("decoder", "{\"type\":\"WordPiece\"}", "'WordPiece'");
        assertRefused("truncation", "{\"max_length\":512}", "truncation");
        ObjectNode wordPiece = TinyTokenizerJson.create();
        ((ObjectNode) wordPiece.get("model")).put("type", "WordPiece");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TinyTokenizerJson.load(wordPiece));
        assertTrue(e.getMessage().contains("model: unsupported type 'WordPiece'"), e.getMessage());
    }

    private static void assertRefused(String key, String json, String expectedInMessage) {
        ObjectNode root = TinyTokenizerJson.create();
        try {
            root.set(key, TinyTokenizerJson.JSON.readTree(json));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TinyTokenizerJson.load(root));
        assertTrue(e.getMessage().startsWith("tiny/tokenizer.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
    }

    @Test
    void refusesAMergeOfUnknownTokens() {
        ObjectNode root = TinyTokenizerJson.create();
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("model").get("merges")).add("x yz");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TinyTokenizerJson.load(root));
        assertTrue(e.getMessage().contains("model.merges[4]: token 'yz' is not in the vocab"), e.getMessage());
    }

    @Test
    void appliesMergesByRankInBothMergeFormats() {
        Tokenizer tiny = TinyTokenizerJson.load(TinyTokenizerJson.create());
        assertArrayEquals(new int[] {258, 'o', 259, 'o', 'r', 'l', 'd'}, tiny.encode("hello world", false));
        assertEquals("hello world", tiny.decode(tiny.encode("hello world", false), false));
    }

    @Test
    void ignoreMergesTakesAWholeWordFromTheVocabulary() {
        ObjectNode root = TinyTokenizerJson.create();
        ((ObjectNode) root.get("model").get("vocab")).put("hello", 260);
        assertArrayEquals(new int[] {258, 'o'}, TinyTokenizerJson.load(root).encode("hello", false));
        ((ObjectNode) root.get("model")).put("ignore_merges", true);
        assertArrayEquals(new int[] {260}, TinyTokenizerJson.load(root).encode("hello", false));
    }

    @Test
    void addsTheTemplatesSpecialTokens() {
        ObjectNode root = TinyTokenizerJson.create();
        root.putArray("added_tokens").addObject().put("id", 300).put("content", "<s>").put("special", true)
                .put("normalized", false);
        ObjectNode template = root.putObject("post_processor");
        template.put("type", "TemplateProcessing");
        template.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        ((com.fasterxml.jackson.databind.node.ArrayNode) template.get("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        template.putArray("pair");
        template.putObject("special_tokens").putObject("<s>").put("id", "<s>").putArray("ids").add(300);
        Tokenizer tiny = TinyTokenizerJson.load(root);
        assertArrayEquals(new int[] {300, 258}, tiny.encode("hell", true));
        assertArrayEquals(new int[] {258}, tiny.encode("hell", false));
        assertEquals("hell", tiny.decode(new int[] {300, 258}, true));
        assertEquals("<s>hell", tiny.decode(new int[] {300, 258}, false));
    }

    @Test
    void reportsInvalidJsonWithTheFileName(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json: not valid JSON"), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.load(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("nope: no such file"), missing.getMessage());
    }

    @Test
    void testResourcesStayGzipped() {
        InputStream plain = TokenizerLoaderTest.class.getResourceAsStream("/tokenizers/qwen3/tokenizer.json");
        assertNull(plain);
    }
}
