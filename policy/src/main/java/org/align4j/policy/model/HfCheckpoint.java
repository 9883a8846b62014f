package org.align4j.policy.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.io.ShardedSafeTensors;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model directory in Hugging Face layout: {@code config.json} plus {@code model.safetensors} (or shards
 * with {@code model.safetensors.index.json}), and the tokenizer files when the model has them.
 */
public final class HfCheckpoint {
    /** Files copied along with a model so that a saved directory is self-contained. */
    public static final List<String> TOKENIZER_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");

    private HfCheckpoint() {
    }

    /** A float32 model on the given backend. */
    public static CausalLM load(Path dir, Ops ops) {
        return load(dir, DataType.FLOAT, ops);
    }

    /** A float32 model on the CPU backend. */
    public static CausalLM load(Path dir) {
        return load(dir, Ops.cpu());
    }

    /** A model of the given element type on the CPU backend. */
    public static CausalLM load(Path dir, DataType dtype) {
        return load(dir, dtype, Ops.cpu());
    }

    public static CausalLM load(Path dir, DataType dtype, Ops ops) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a model directory");
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(dir + ": missing config.json");
        }
        ModelConfig config = ModelConfig.read(configFile);
        TorchDtype stored = TorchDtype.of(readJson(configFile));
        Map<String, INDArray> weights = ShardedSafeTensors.read(dir, dtype);
        try {
            CausalLM m = CausalLM.fromWeights(config, weights, dtype, ops);
            m.setCheckpointDtype(stored);
            return m;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read config: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the model atomically (a temporary directory renamed into place). Tokenizer files found in
     * {@code tokenizerDir} (may be null) are copied along, and generation_config.json is written with the special
     * token ids ({@link GenerationConfig}).
     */
    public static void save(CausalLM model, Path dir, Path tokenizerDir) {
        Path target = dir.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".saving.tmp");
        try {
            AtomicFiles.deleteRecursively(tmp);
            Files.createDirectories(tmp);
            ObjectNode config = model.config().toJson();
            TorchDtype stored = model.checkpointDtype();
            config.remove("dtype");
            config.put("torch_dtype", stored.jsonName);
            AtomicFiles.writeJson(tmp.resolve("config.json"), config);
            SafeTensors.write(tmp.resolve(ShardedSafeTensors.SINGLE_FILE), model.weights(), stored.storage,
                    SafeTensors.PT_METADATA);
            if (tokenizerDir != null) {
                for (String f : TOKENIZER_FILES) {
                    Path src = tokenizerDir.resolve(f);
                    if (Files.isRegularFile(src)) {
                        Files.copy(src, tmp.resolve(f));
                    }
                }
            }
            GenerationConfig.write(tmp, model.config());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model to " + dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.replaceDirectory(tmp, target);
    }
}
