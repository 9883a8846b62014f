package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.align4j.policy.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "decode",
        mixinStandardHelpOptions = true,
        description = "Decodes token ids into texts. Input: a JSON array of id arrays. Output: a JSON array of "
                + "strings. Bytes that do not form valid UTF-8 (a character cut off at the end) come out as "
                + "U+FFFD.",
        footer = {"", "Examples:",
                "  echo '[[0, 93, 110, 103, 122, 38, 56, 49, 57, 69, 1]]' > ids.json",
                "  ./align4j tokenizer decode --tokenizer runs/demo/tokenizer --input ids.json \\",
                "      --skip-special-tokens   # [\"What 2+3?\"]"})
final class TokenizerDecodeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "tokenizer.json, tokenizer.json.gz, or a directory holding one (and tokenizer_config.json).")
    Path tokenizer;

    @Option(names = "--input", required = true, paramLabel = "FILE.json", description = "JSON array of arrays of ids.")
    Path input;

    @Option(names = "--skip-special-tokens", description = "Leave special tokens (bos, eos, chat markers) out.")
    boolean skipSpecialTokens;

    @Option(names = "--output", paramLabel = "FILE.json", description = "Write here (atomically) instead of stdout.")
    Path output;

    @Override
    public Integer call() {
        JsonNode rows = TokenizerJsonIo.readArray(input);
        List<int[]> all = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            if (!row.isArray()) {
                throw new IllegalArgumentException(input + ": element " + i + " is not an array of ids");
            }
            int[] ids = new int[row.size()];
            for (int j = 0; j < ids.length; j++) {
                if (!row.get(j).canConvertToInt() || !row.get(j).isIntegralNumber()) {
                    throw new IllegalArgumentException(input + ": element " + i + "[" + j + "] is not an integer id");
                }
                ids[j] = row.get(j).asInt();
            }
            all.add(ids);
        }
        Tokenizer tok = Tokenizer.load(tokenizer);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            TokenIds.checkTokenizer(all.get(i), tok, input + ": element " + i);
        }
        for (int[] ids : all) {
            texts.add(tok.decode(ids, skipSpecialTokens));
        }
        TokenizerJsonIo.write(texts, output);
        return 0;
    }
}
