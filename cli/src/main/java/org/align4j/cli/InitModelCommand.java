package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "init-model",
        mixinStandardHelpOptions = true,
        description = {"A freshly initialised model directory (Hugging Face layout) from a config.json: any "
                + "architecture align4j runs (Llama, Qwen2, DeepSeek-V2/V3 with MLA and MoE), for small experiments "
                + "and examples.",
                "vocab_size, bos_token_id and eos_token_id are taken from the tokenizer, which is copied from "
                        + "--tokenizer or trained (byte-level BPE of the config's vocab_size) on --train-tokenizer's "
                        + "text: a JSONL file's string fields, or a text file's lines."},
        footer = {"", "Examples:",
                "  ./align4j init-model --config examples/configs/deepseek-tiny.json \\",
                "      --train-tokenizer runs/demo/train.jsonl --out runs/deepseek-tiny"})
final class InitModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "config.json of the architecture (HF keys).")
    Path config;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenizerSource tokenizer;

    static final class TokenizerSource {
        @Option(names = "--tokenizer", description = "Directory with tokenizer.json (and tokenizer_config.json).")
        Path dir;

        @Option(names = "--train-tokenizer", paramLabel = "FILE", description = "Train a tokenizer on this text.")
        Path corpus;
    }

    @Option(names = "--out", required = true, description = "Model directory to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Initialisation seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode read;
        try {
            read = json.readTree(config.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(config + ": not valid JSON: " + e.getMessage());
        }
        if (read == null || !read.isObject()) {
            throw new IllegalArgumentException(config + ": not a JSON object");
        }
        ObjectNode cfg = (ObjectNode) read;
        Path tmp = null;
        try {
            Path tokDir = tokenizer.dir;
            if (tokDir == null) {
                tmp = Files.createTempDirectory("align4j-tokenizer");
                tokDir = tmp;
                trainTokenizer(tokenizer.corpus, cfg.path("vocab_size").asInt(0), tmp);
            }
            Tokenizer tok = Tokenizer.load(tokDir);
            cfg.put("vocab_size", tok.vocabSize());
            putOrNull(cfg, "bos_token_id", tok.bosId());
            putOrNull(cfg, "eos_token_id", tok.eosId());
            ModelConfig c;
            try {
                c = ModelConfig.fromJson(cfg);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(config + ": " + e.getMessage(), e);
            }
            CausalLM m = CausalLM.initialize(c, DataType.FLOAT, seed, Backends.current());
            HfCheckpoint.save(m, out, tokDir);
            spec.commandLine().getOut().printf("{\"model\": \"%s\", \"architecture\": \"%s\", \"parameters\": %d, "
                    + "\"vocab_size\": %d}%n", out, c.architecture, m.parameterCount(), c.vocabSize);
        } finally {
            if (tmp != null) {
                AtomicFiles.deleteRecursively(tmp);
            }
        }
        return 0;
    }

    private static void putOrNull(ObjectNode n, String key, Integer v) {
        if (v == null) {
            n.putNull(key);
        } else {
            n.put(key, v);
        }
    }

    /** A JSONL line contributes its string fields (prompt, completion, answer, ...), any other line itself. */
    private static void trainTokenizer(Path corpus, int vocabSize, Path dir) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("the config needs a positive vocab_size to train a tokenizer");
        }
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(vocabSize);
        ObjectMapper json = new ObjectMapper();
        try (var lines = Files.lines(corpus)) {
            lines.forEach(line -> {
                JsonNode n = null;
                if (line.startsWith("{")) {
                    try {
                        n = json.readTree(line);
                    } catch (IOException e) {
                        n = null;
                    }
                }
                if (n != null && n.isObject()) {
                    for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                        JsonNode v = it.next();
                        if (v.isTextual()) {
                            trainer.add(v.asText());
                        }
                    }
                } else if (!line.isBlank()) {
                    trainer.add(line);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + corpus + ": " + e.getMessage(), e);
        }
        trainer.train().save(dir);
    }
}
