package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/** A byte-level BPE learned by {@link BpeTrainer}: its vocabulary and merges, ready to save in Hugging Face's format. */
public final class TrainedBpe {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> vocab;
    private final List<String[]> merges;
    private final List<String> specialTokens;
    /** How training left each corpus word, for checking that the saved tokenizer encodes it the same way. */
    private final Map<String, int[]> segmentation;

    TrainedBpe(Map<String, Integer> vocab, List<String[]> merges, List<String> specialTokens,
               Map<String, int[]> segmentation) {
        this.vocab = Map.copyOf(vocab);
        this.merges = List.copyOf(merges);
        this.specialTokens = specialTokens;
        this.segmentation = segmentation;
    }

    public int vocabSize() {
        return vocab.size();
    }

    public int mergeCount() {
        return merges.size();
    }

    Map<String, int[]> segmentation() {
        return segmentation;
    }

    List<String[]> merges() {
        return merges;
    }

    /** The tokenizer.json content (vocabulary written in id order). */
    ObjectNode tokenizerJson() {
        Map<String, Integer> ordered = new java.util.LinkedHashMap<>();
        vocab.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> ordered.put(e.getKey(), e.getValue()));
        return TrainedTokenizerFormat.tokenizerJson(ordered, merges);
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (created if needed), each atomically. */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            writeAtomically(dir.resolve("tokenizer.json"), tokenizerJson());
            writeAtomically(dir.resolve("tokenizer_config.json"), TrainedTokenizerFormat.tokenizerConfigJson());
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the tokenizer: " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path target, ObjectNode json) throws IOException {
        // Not Files.createTempFile: its owner-only permissions would stay on the moved file.
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), json);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
