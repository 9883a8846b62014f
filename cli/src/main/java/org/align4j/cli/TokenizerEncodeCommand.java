package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.align4j.policy.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "encode",
        mixinStandardHelpOptions = true,
        description = "Encodes texts into token ids. Input: a JSON array of strings. Output: a JSON array of id "
                + "arrays, one per string. Special tokens written in the text (e.g. <|im_start|>) are always "
                + "recognised; bos/eos are added only with --add-special-tokens.",
        footer = {"", "Examples:",
                "  echo '[\"Hello, world!\", \"1234\"]' > texts.json",
                "  ./align4j tokenizer encode --tokenizer runs/demo/tokenizer --input texts.json",
                "  # [[...], [...]]"})
final class TokenizerEncodeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "tokenizer.json, tokenizer.json.gz, or a directory holding one (and tokenizer_config.json).")
    Path tokenizer;

    @Option(names = "--input", required = true, paramLabel = "FILE.json", description = "JSON array of strings.")
    Path input;

    @Option(names = "--add-special-tokens", description = "Apply the tokenizer's template (e.g. bos in front).")
    boolean addSpecialTokens;

    @Option(names = "--output", paramLabel = "FILE.json", description = "Write here (atomically) instead of stdout.")
    Path output;

    @Override
    public Integer call() {
        JsonNode texts = TokenizerJsonIo.readArray(input);
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (!texts.get(i).isTextual()) {
                throw new IllegalArgumentException(input + ": element " + i + " is not a string");
            }
            strings.add(texts.get(i).asText());
        }
        Tokenizer tok = Tokenizer.load(tokenizer);
        List<int[]> ids = new ArrayList<>();
        for (String s : strings) {
            ids.add(tok.encode(s, addSpecialTokens));
        }
        TokenizerJsonIo.write(ids, output);
        return 0;
    }
}
