package org.align4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.TrainedBpe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = "Learns a byte-level BPE tokenizer from text files, with DeepSeek-style pre-tokenization "
                + "(numbers cut into single digits), and writes tokenizer.json + tokenizer_config.json in Hugging "
                + "Face's format. Special tokens: <|begin_of_text|> (bos), <|end_of_text|> (eos), <|pad|>, "
                + "<|system|>, <|user|>, <|assistant|>. Prints a JSON summary.",
        footer = {"", "Examples:",
                "  printf 'Mia has 3 apples.\\nShe buys 4 more.\\n' > a.txt",
                "  printf 'Tom gives her 2.\\n' > b.txt",
                "  ./align4j tokenizer train --corpus a.txt b.txt --vocab-size 300 \\",
                "      --out runs/tok"})
final class TokenizerTrainCommand implements Callable<Integer> {

    @Option(names = "--corpus", required = true, arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files.")
    List<Path> corpus;

    @Option(names = "--vocab-size", required = true, paramLabel = "N",
            description = "Total vocabulary size, counting the 6 special and 256 byte tokens (at least 262).")
    int vocabSize;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write the tokenizer to.")
    Path out;

    @Override
    public Integer call() {
        long start = System.nanoTime();
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(vocabSize);
        long bytes = 0;
        for (Path file : corpus) {
            trainer.addFile(file);
            bytes += file.toFile().length();
        }
        TrainedBpe bpe = trainer.train();
        bpe.save(out);
        ObjectNode summary = TokenizerJsonIo.JSON.createObjectNode();
        summary.put("out", out.toString());
        summary.put("vocab_size", bpe.vocabSize());
        summary.put("merges", bpe.mergeCount());
        summary.put("corpus_bytes", bytes);
        summary.put("seconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
        if (bpe.vocabSize() < vocabSize) {
            summary.put("note", "stopped at " + bpe.vocabSize() + ": no pair occurs twice any more; use a larger corpus");
        }
        System.out.println(summary);
        return Files.exists(out.resolve("tokenizer.json")) ? 0 : 1;
    }
}
