package org.align4j.policy.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
import org.nd4j.linalg.factory.Nd4j;

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

    /**
     * A model of the given element type on the given backend. A checkpoint stored wholly in BF16 loaded as float32 is
     * streamed: each tensor's bf16 bytes go, chunk by chunk, into the model's own array through
     * {@link Ops#loadBf16}, so that loading holds no float32 copy of a tensor or of the model beside the model (the
     * result is bit-identical to widening every tensor first). Other checkpoints, and float64 models, are read whole
     * and copied into the model.
     */
    public static CausalLM load(Path dir, DataType dtype, Ops ops) {
        return load(dir, dtype, ops, null);
    }

    /**
     * A float32 model whose weight matrices are held in bf16 ({@link CausalLM#storeInBf16}: frozen, or trainable with
     * bf16 working copies) from before their values are read, so that a device backend receives a bf16 checkpoint's
     * bytes as they are into a frozen weight's bf16-only copy (no float32 round trip through the device).
     */
    public static CausalLM loadHeldInBf16(Path dir, Ops ops, boolean frozen) {
        return load(dir, DataType.FLOAT, ops, frozen);
    }

    private static CausalLM load(Path dir, DataType dtype, Ops ops, Boolean bf16Frozen) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a model directory");
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(dir + ": missing config.json");
        }
        ModelConfig config = ModelConfig.read(configFile);
        TorchDtype stored = TorchDtype.of(readJson(configFile));
        Map<String, ShardedSafeTensors.Located> located = ShardedSafeTensors.locate(dir);
        boolean stream = dtype == DataType.FLOAT
                && located.values().stream().allMatch(t -> t.info().dtype() == SafeTensors.Dtype.BF16);
        try {
            CausalLM m = stream
                    ? CausalLM.adoptingWeights(config, streamBf16(config, located, ops, bf16Frozen), dtype, ops)
                    : CausalLM.fromWeights(config, ShardedSafeTensors.read(dir, dtype), dtype, ops);
            m.setCheckpointDtype(stored);
            if (bf16Frozen != null) {
                m.storeInBf16(bf16Frozen);
            }
            return m;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every tensor of a BF16 checkpoint in a new float32 array filled by the backend from its stored bytes (one chunk
     * at a time); matrices are held in bf16 first when bf16Frozen is not null, as {@link CausalLM#storeInBf16} would
     * hold them (every tensor is trainable at load). DeepSeek-V3's MTP modules, which the model drops, are not read.
     */
    private static Map<String, INDArray> streamBf16(ModelConfig config, Map<String, ShardedSafeTensors.Located> located,
                                                   Ops ops, Boolean bf16Frozen) {
        Map<Path, SafeTensors.Reader> readers = new LinkedHashMap<>();
        try {
            Map<String, INDArray> out = new LinkedHashMap<>();
            for (Map.Entry<String, ShardedSafeTensors.Located> e : located.entrySet()) {
                if (CausalLM.isMultiTokenPrediction(config, e.getKey())) {
                    continue;
                }
                SafeTensors.TensorInfo info = e.getValue().info();
                SafeTensors.Reader reader = readers.computeIfAbsent(e.getValue().file(), SafeTensors.Reader::open);
                INDArray w = info.shape().length == 0 ? Nd4j.scalar(0f) : Nd4j.create(DataType.FLOAT, info.shape(), 'c');
                if (info.elements() > 0) {
                    if (bf16Frozen != null && w.rank() == 2) {
                        ops.holdInBf16(w, !bf16Frozen);
                    }
                    ops.loadBf16(w, reader.bf16(info));
                }
                out.put(e.getKey(), w);
            }
            return out;
        } finally {
            readers.values().forEach(SafeTensors.Reader::close);
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
