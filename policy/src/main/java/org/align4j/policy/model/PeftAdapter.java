package org.align4j.policy.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.util.BadInputException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A LoRA adapter directory as PEFT's save_pretrained writes it: {@code adapter_config.json} and
 * {@code adapter_model.safetensors}, whose tensors are named {@code base_model.model.} + the module's name +
 * {@code .lora_A.weight} / {@code .lora_B.weight} (PEFT drops the adapter name "default" on save).
 */
public final class PeftAdapter {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** What PEFT's PeftModelForCausalLM puts before the base model's own tensor names. */
    static final String PREFIX = "base_model.model.";

    private PeftAdapter() {
    }

    /** Whether dir holds a PEFT adapter (its config file). */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG_FILE));
    }

    /** Reads an adapter's settings only. */
    public static LoraConfig readConfig(Path dir) {
        Path cfg = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfg)) {
            throw new BadInputException(dir + ": not a PEFT adapter directory (no " + CONFIG_FILE + ")");
        }
        return LoraConfig.readPeft(cfg);
    }

    /**
     * The base model an adapter names (base_model_name_or_path, relative to the adapter's directory when not
     * absolute); it must be a local model directory.
     */
    public static Path baseOf(Path adapterDir) {
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(adapterDir.resolve(CONFIG_FILE).toFile());
        } catch (java.io.IOException e) {
            throw new BadInputException(adapterDir.resolve(CONFIG_FILE) + ": cannot read: " + e.getMessage(), e);
        }
        String base = n.path("base_model_name_or_path").asText("");
        Path p = base.isEmpty() ? null : adapterDir.resolve(base);
        if (p == null || !Files.isRegularFile(p.resolve("config.json"))) {
            throw new BadInputException(adapterDir + " is a LoRA adapter whose base_model_name_or_path ('" + base
                    + "') is not a local model directory: give the base with --model and the adapter with --adapter");
        }
        return p;
    }

    /**
     * A model directory's model, with the adapter in adapterDir on it when adapterDir is not null. A modelDir that
     * is itself an adapter (a LoRA run's final/) loads its base_model_name_or_path with it, as AutoPeftModel does.
     */
    public static CausalLM loadModel(Path modelDir, Path adapterDir) {
        return loadModel(modelDir, adapterDir, org.align4j.policy.ops.Ops.cpu());
    }

    /** The model in modelDir on the given backend, with the adapter in adapterDir (null: none) on it. */
    public static CausalLM loadModel(Path modelDir, Path adapterDir, org.align4j.policy.ops.Ops ops) {
        if (adapterDir == null && isAdapter(modelDir)) {
            return loadModel(baseOf(modelDir), modelDir, ops);
        }
        CausalLM m = HfCheckpoint.load(modelDir, ops);
        if (adapterDir != null) {
            load(m, adapterDir);
        }
        return m;
    }

    /** Puts the adapter saved in dir on the model (which must not have adapters yet). */
    public static void load(CausalLM model, Path dir) {
        LoraConfig config = readConfig(dir);
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(dir + ": missing " + WEIGHTS_FILE + " (adapter_model.bin is not read: "
                    + "save with safe_serialization)");
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        SafeTensors.read(file, model.dataType()).forEach((name, t) -> {
            if (!name.startsWith(PREFIX)) {
                throw new BadInputException(file + ": tensor '" + name + "' is not named as PEFT names LoRA tensors ("
                        + PREFIX + "...lora_A.weight)");
            }
            tensors.put(name.substring(PREFIX.length()), t);
        });
        try {
            model.addAdapters(config, tensors, 0);
        } catch (IllegalArgumentException | BadInputException e) {
            throw new BadInputException(dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the model's adapters atomically as PEFT does (float32); baseModel is recorded as
     * base_model_name_or_path (may be null).
     */
    public static void save(CausalLM model, Path dir, String baseModel) {
        save(model, dir, baseModel, null);
    }

    /** {@link #save(CausalLM, Path, String)}, with the tokenizer files found in tokenizerDir (may be null). */
    public static void save(CausalLM model, Path dir, String baseModel, Path tokenizerDir) {
        LoraConfig config = model.loraConfig();
        if (config == null) {
            throw new IllegalStateException("the model has no LoRA adapters to save");
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        model.adapterWeights().forEach((name, t) -> tensors.put(PREFIX + name, t));
        Path target = dir.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".saving.tmp");
        try {
            AtomicFiles.deleteRecursively(tmp);
            Files.createDirectories(tmp);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write adapter to " + dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeJson(tmp.resolve(CONFIG_FILE), config.toPeftJson(model.adaptedModules(), baseModel));
        SafeTensors.write(tmp.resolve(WEIGHTS_FILE), tensors);
        if (tokenizerDir != null) {
            for (String f : HfCheckpoint.TOKENIZER_FILES) {
                Path src = tokenizerDir.resolve(f);
                if (Files.isRegularFile(src)) {
                    try {
                        Files.copy(src, tmp.resolve(f));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException("cannot copy " + src + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        AtomicFiles.replaceDirectory(tmp, target);
    }
}
