package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.tokenizer.MixedLanguageText;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    @BeforeAll
    static void trainATokenizer() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), MixedLanguageText.generate(100_000, 3));
        Run r = run("tokenizer", "train", "--corpus", dir.resolve("corpus.txt").toString(), "--vocab-size", "400",
                "--out", dir.resolve("tok").toString());
        assertEquals(0, r.exit, r.err);
        assertEquals(400, JSON.readTree(r.out).get("vocab_size").asInt());
    }

    @Test
    void encodeThenDecodeGivesTheTextsBack() throws Exception {
        String[] texts = {"Hello, world! 12345", "深度求索 😀", "<|user|>\nhi<|end_of_text|>", ""};
        Files.writeString(dir.resolve("texts.json"), JSON.writeValueAsString(texts));
        Run encoded = run("tokenizer", "encode", "--tokenizer", dir.resolve("tok").toString(),
                "--input", dir.resolve("texts.json").toString());
        assertEquals(0, encoded.exit, encoded.err);
        JsonNode ids = JSON.readTree(encoded.out);
        assertEquals(texts.length, ids.size());
        assertEquals(0, ids.get(3).size());
        Files.writeString(dir.resolve("ids.json"), encoded.out);
        Run decoded = run("tokenizer", "decode", "--tokenizer", dir.resolve("tok/tokenizer.json").toString(),
                "--input", dir.resolve("ids.json").toString());
        assertEquals(0, decoded.exit, decoded.err);
        assertEquals(JSON.valueToTree(texts), JSON.readTree(decoded.out));

        Run withBos = run("tokenizer", "encode", "--tokenizer", dir.resolve("tok").toString(),
                "--input", dir.resolve("texts.json").toString(), "--add-special-tokens");
        assertEquals(0, JSON.readTree(withBos.out).get(0).get(0).asInt(), "bos first");
    }

    @Test
    void badInputIsAOneLineErrorNamingTheFileAndElement() throws Exception {
        Files.writeString(dir.resolve("bad.json"), "[\"ok\", 3]");
        Run r = run("tokenizer", "encode", "--tokenizer", dir.resolve("tok").toString(),
                "--input", dir.resolve("bad.json").toString());
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("bad.json: element 1 is not a string"), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
    }

    @Test
    void decodeRefusesIdsOutsideTheVocabularyAndNegativeIds() throws Exception {
        Files.writeString(dir.resolve("oov.json"), "[[5, 6], [7, 400]]");
        Run r = run("tokenizer", "decode", "--tokenizer", dir.resolve("tok").toString(),
                "--input", dir.resolve("oov.json").toString());
        assertEquals(2, r.exit, r.out);
        assertEquals("", r.out);
        assertEquals("align4j tokenizer decode: error: " + dir.resolve("oov.json")
                + ": element 1[1]: id 400 is outside the tokenizer's vocabulary [0, 400)", r.err.strip());
        Files.writeString(dir.resolve("negative.json"), "[[-1]]");
        r = run("tokenizer", "decode", "--tokenizer", dir.resolve("tok").toString(),
                "--input", dir.resolve("negative.json").toString());
        assertEquals(2, r.exit, r.out);
        assertTrue(r.err.contains("element 0[0]: id -1 is outside the tokenizer's vocabulary"), r.err);
    }

    @Test
    void benchReportsSpeed() throws Exception {
        Run r = run("tokenizer", "bench", "--tokenizer", dir.resolve("tok").toString(), "--mb", "0.05", "--passes", "1");
        assertEquals(0, r.exit, r.err);
        JsonNode report = JSON.readTree(r.out);
        assertTrue(report.get("mb_per_s").asDouble() > 0);
        assertTrue(report.get("tokens").asLong() > 0);
    }

    @Test
    void chatRendersTheFixtureConversationsAsTransformersDoes() throws Exception {
        // The trained tokenizer's vocabulary with Qwen3's tokenizer_config.json (and so its chat_template) beside it.
        Path qwen = dir.resolve("qwen-chat");
        Files.createDirectories(qwen);
        Files.copy(dir.resolve("tok/tokenizer.json"), qwen.resolve("tokenizer.json"));
        try (var in = getClass().getResourceAsStream("/chat/qwen3_tokenizer_config.json")) {
            Files.copy(in, qwen.resolve("tokenizer_config.json"));
        }
        JsonNode cases;
        try (var in = getClass().getResourceAsStream("/chat/chat_qwen3_public.json")) {
            cases = JSON.readTree(in);
        }
        Files.writeString(dir.resolve("chats.json"), JSON.writeValueAsString(cases));
        Run r = run("tokenizer", "chat", "--tokenizer", qwen.resolve("tokenizer.json").toString(),
                "--input", dir.resolve("chats.json").toString());
        assertEquals(0, r.exit, r.err);
        JsonNode rendered = JSON.readTree(r.out);
        assertEquals(cases.size(), rendered.size());
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(cases.get(i).get("expected").asText(), rendered.get(i).asText(), "case " + i);
        }

        Files.writeString(dir.resolve("kw.json"), "[{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}],"
                + " \"add_generation_prompt\": true, \"kwargs\": {\"enable_thinking\": false}}]");
        Run kw = run("tokenizer", "chat", "--tokenizer", qwen.toString(), "--input", dir.resolve("kw.json").toString());
        assertEquals(0, kw.exit, kw.err);
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                JSON.readTree(kw.out).get(0).asText());
    }

    @Test
    void chatErrorsAreOneLineNamingTheElement() throws Exception {
        Files.writeString(dir.resolve("badchat.json"), "[{\"messages\": [{\"content\": \"no role\"}]}]");
        Run r = run("tokenizer", "chat", "--tokenizer", dir.resolve("tok").toString(),
                "--input", dir.resolve("badchat.json").toString());
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("badchat.json: element 0: \"messages\"[0]: a message must be an object with a string \"role\""), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = Align4j.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }
}
