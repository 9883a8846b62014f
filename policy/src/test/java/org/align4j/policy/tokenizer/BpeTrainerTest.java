package org.align4j.policy.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTrainerTest {

    @TempDir
    static Path dir;
    static TrainedBpe trained;
    static Tokenizer tokenizer;
    static List<String> corpus;

    @BeforeAll
    static void trainOnSmallCorpus() {
        corpus = MixedLanguageText.generate(200_000, 7).lines().toList();
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(600);
        corpus.forEach(trainer::add);
        trained = trainer.train();
        trained.save(dir);
        tokenizer = Tokenizer.load(dir);
    }

    @Test
    void fillsTheVocabularyWithSpecialsBytesAndMerges() {
        assertEquals(600, trained.vocabSize());
        assertEquals(600 - 6 - 256, trained.mergeCount());
        assertEquals(600, tokenizer.vocabSize());
        assertTrue(Files.exists(dir.resolve("tokenizer.json")));
        assertTrue(Files.exists(dir.resolve("tokenizer_config.json")));
    }

    @Test
    void savedTokenizerEncodesEveryTrainingWordAsTrainingLeftIt() {
        int checked = 0;
        for (Map.Entry<String, int[]> e : trained.segmentation().entrySet()) {
            assertArrayEquals(e.getValue(), tokenizer.model().encode(e.getKey()), e.getKey());
            checked++;
        }
        assertTrue(checked > 500, "checked " + checked + " words");
    }

    @Test
    void specialTokensComeFromTheConfigAndAreMatchedInText() {
        assertEquals(0, tokenizer.bosId());
        assertEquals(1, tokenizer.eosId());
        assertEquals(2, tokenizer.padId());
        assertEquals(4, tokenizer.tokenId("<|user|>").getAsInt());
        int[] ids = tokenizer.encode("<|user|>\nhi<|end_of_text|>", false);
        assertEquals(4, ids[0]);
        assertEquals(1, ids[ids.length - 1]);
        int[] withBos = tokenizer.encode("hi", true);
        assertEquals(0, withBos[0]);
        assertArrayEquals(tokenizer.encode("hi", false), java.util.Arrays.copyOfRange(withBos, 1, withBos.length));
        assertEquals("hi", tokenizer.decode(withBos, true));
        assertEquals("<|begin_of_text|>hi", tokenizer.decode(withBos, false));
    }

    @Test
    void numbersAreSplitIntoSingleDigits() {
        int[] ids = tokenizer.encode("year 2024 and 3.14159", false);
        String[] pieces = java.util.Arrays.stream(ids).mapToObj(id -> tokenizer.decode(new int[] {id}, false))
                .toArray(String[]::new);
        for (String p : pieces) {
            if (p.chars().anyMatch(Character::isDigit)) {
                assertEquals(1, p.length(), "digit token " + p);
            }
        }
    }

    @Test
    void roundTripsArbitraryUnicode() {
        Random random = new Random(11);
        for (int i = 0; i < 500; i++) {
            String s = RandomText.validUnicode(random, 1 + random.nextInt(60));
            assertEquals(s, tokenizer.decode(tokenizer.encode(s, false), false));
        }
        for (String line : corpus.subList(0, 200)) {
            assertEquals(line, tokenizer.decode(tokenizer.encode(line, false), false));
        }
    }

    @Test
    void mergesShortenTheCorpus() {
        long bytes = 0;
        long tokens = 0;
        for (String line : corpus) {
            bytes += line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            tokens += tokenizer.encode(line, false).length;
        }
        assertTrue(tokens < bytes * 0.6, tokens + " tokens for " + bytes + " bytes");
    }

    @Test
    void trainingIsDeterministic() {
        BpeTrainer again = BpeTrainer.deepSeekStyle(600);
        corpus.forEach(again::add);
        TrainedBpe second = again.train();
        assertEquals(trained.tokenizerJson(), second.tokenizerJson());
    }

    @Test
    void specialTokensInTheCorpusAreNotLearned() {
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(400);
        for (int i = 0; i < 50; i++) {
            trainer.add("<|user|>\nhi<|end_of_text|><|assistant|>\nhello<|end_of_text|>");
        }
        TrainedBpe bpe = trainer.train();
        for (String[] merge : bpe.merges()) {
            String merged = merge[0] + merge[1];
            assertFalse(merged.contains("|"), "learned a piece of a special token: " + merged);
        }
        assertTrue(bpe.mergeCount() > 0);
    }

    @Test
    void refusesAVocabularyTooSmallForTheBytes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BpeTrainer.deepSeekStyle(100));
        assertTrue(e.getMessage().contains("256"), e.getMessage());
    }

    @Test
    void stopsEarlyWhenNoPairRepeats() {
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(2000);
        trainer.add("abc");
        TrainedBpe tiny = trainer.train();
        assertEquals(6 + 256, tiny.vocabSize());
        assertFalse(tiny.mergeCount() > 0);
    }
}
