package org.align4j.policy.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Expected pieces are what Hugging Face tokenizers 0.23.2 returns for the same pre-tokenizer and text. */
class PreTokenizerTest {

    private static List<String> pieces(PreTokenizer p, String text) {
        List<String> out = new ArrayList<>();
        p.split(text, out::add);
        return out;
    }

    @ParameterizedTest(name = "{0} invert={1}")
    @CsvSource(delimiter = ';', value = {
            "Removed; false; the|final|countdown",
            "Removed; true; -|-|-",
            "Isolated; false; the|-|final|-|-|countdown",
            "Isolated; true; the|-|final|-|-|countdown",
            "MergedWithPrevious; false; the-|final-|-|countdown",
            "MergedWithPrevious; true; the|-final|-|-countdown",
            "MergedWithNext; false; the|-final|-|-countdown",
            "MergedWithNext; true; the-|final-|-|countdown",
            "Contiguous; false; the|-|final|--|countdown",
            "Contiguous; true; the|-|final|--|countdown",
    })
    void splitBehavesAsHuggingFace(String behavior, boolean invert, String expected) {
        RegexSplit split = new RegexSplit(HfRegex.literal("-"), SplitBehavior.fromJson(behavior), invert);
        assertEquals(List.of(expected.split("\\|")), pieces(split, "the-final--countdown"));
    }

    @Test
    void byteLevelSplitsWithGpt2RegexAndMapsBytes() {
        assertEquals(List.of("Hello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing", "?"),
                pieces(new ByteLevelPreTokenizer(false, true), "Hello my friend, how is your day going?"));
        assertEquals(List.of("ĠHello", "ĠĠ", "Ġthere", "Ċ", "Ċ", "friend", "Ġ123"),
                pieces(new ByteLevelPreTokenizer(true, true), "Hello   there\n\nfriend 123"));
        assertEquals(List.of("ĠhiĠthere"), pieces(new ByteLevelPreTokenizer(true, false), "hi there"));
    }

    @Test
    void byteLevelWithoutItsMappingLeavesTextAsIs() {
        PreTokenizer raw = new ByteLevelPreTokenizer(true, true).withoutFinalByteMapping();
        assertEquals(List.of(" Hello", " ", " there"), pieces(raw, "Hello  there"));
    }

    @Test
    void digitsSplitEveryNumericCharacter() {
        RegexSplit single = new RegexSplit(HfRegex.compile("\\p{N}"), SplitBehavior.ISOLATED, false);
        assertEquals(List.of("Hey ", "1", "2", "3", " ", "٣", "٤", " friend"), pieces(single, "Hey 123 ٣٤ friend"));
        RegexSplit runs = new RegexSplit(HfRegex.compile("\\p{N}+"), SplitBehavior.ISOLATED, false);
        assertEquals(List.of("Hey ", "123", " ", "٣٤", " friend"), pieces(runs, "Hey 123 ٣٤ friend"));
    }

    @Test
    void sequenceFeedsEachStepThePiecesOfTheOneBefore() {
        PreTokenizer seq = new SequencePreTokenizer(List.of(
                new RegexSplit(HfRegex.compile("\\p{N}"), SplitBehavior.ISOLATED, false),
                new ByteLevelPreTokenizer(false, false)));
        assertEquals(List.of("abĠ", "4", "2", "Ġx"), pieces(seq, "ab 42 x"));
    }

    @Test
    void onigurumaPatternsCompileWithTheSameMeaning() {
        // \s is Unicode whitespace (no-break space included); '&&' in a class intersects, a lone '&' is literal.
        Pattern p = HfRegex.compile("\\s+(?!\\S)|[a-z&&[^aeiou]]+|[&]");
        assertEquals(true, p.matcher("\u00a0\u3000").matches());
        assertEquals(true, p.matcher("bcd").matches());
        assertEquals(false, p.matcher("bad").matches());
        assertEquals(true, p.matcher("&").matches());
        Pattern contractions = HfRegex.compile("(?i:'s|'t|'re|'ve|'m|'ll|'d)");
        assertEquals(true, contractions.matcher("'LL").matches());
        assertEquals(false, contractions.matcher("'x").matches());
    }
}
