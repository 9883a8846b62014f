package org.align4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.tokenizer.MixedLanguageText;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.tokenizer.TokenizerBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measures encoding speed (MB/s, one thread, MB = 10^6 bytes of UTF-8) on deterministic "
                + "mixed-language text: English prose, code, CJK, numbers and the conformance fixture strings, in "
                + "documents of 1-3 KB. One untimed warm-up pass, then timed passes; prints JSON.",
        footer = {"", "Examples:",
                "  ./align4j tokenizer bench --tokenizer runs/demo/tokenizer --mb 1 \\",
                "      --write-text bench.json",
                "",
                "The same text through Hugging Face tokenizers (Node.js, setup in the script):",
                "  node bench/hf_tokenizers_bench.js runs/demo/tokenizer/tokenizer.json \\",
                "      bench.json"})
final class TokenizerBenchCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "tokenizer.json, tokenizer.json.gz, or a directory holding one.")
    Path tokenizer;

    @Option(names = "--mb", defaultValue = "10", description = "Size of the text in MB (default: ${DEFAULT-VALUE}).")
    double mb;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--passes", defaultValue = "3", description = "Timed passes; the fastest counts (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(names = "--write-text", paramLabel = "FILE.json",
            description = "Also write the documents (a JSON array of strings) so other tokenizers can be timed on them.")
    Path writeText;

    @Override
    public Integer call() {
        if (mb <= 0 || passes < 1) {
            throw new IllegalArgumentException("--mb must be positive and --passes at least 1");
        }
        List<String> docs = MixedLanguageText.documents((long) (mb * 1e6), seed);
        if (writeText != null) {
            TokenizerJsonIo.write(docs, writeText);
        }
        long loadStart = System.nanoTime();
        Tokenizer tok = Tokenizer.load(tokenizer);
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        TokenizerBenchmark.Result r = TokenizerBenchmark.run(tok, docs, passes);
        ObjectNode out = TokenizerJsonIo.JSON.createObjectNode();
        out.put("tokenizer", tokenizer.toString());
        out.put("implementation", "align4j (Java " + System.getProperty("java.version") + ")");
        out.put("bytes", r.bytes());
        out.put("documents", r.documents());
        out.put("tokens", r.tokens());
        out.put("load_seconds", round(loadSeconds));
        out.putPOJO("pass_seconds", r.passSeconds().stream().map(TokenizerBenchCommand::round).toList());
        out.put("mb_per_s", round(r.mbPerSecond()));
        out.put("mb_per_cpu_s", round(r.mbPerCpuSecond()));
        System.out.println(out);
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
