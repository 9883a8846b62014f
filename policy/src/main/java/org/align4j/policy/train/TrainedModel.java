package org.align4j.policy.train;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.util.BadInputException;

/**
 * How a trainer loads and saves the model it trains, in full or as LoRA adapters (use_peft). With adapters, a
 * checkpoint's model/ directory and final/ hold the adapter in PEFT's format (adapter_config.json,
 * adapter_model.safetensors, and the tokenizer files), not a copy of the frozen base weights, as TRL saves them.
 */
public final class TrainedModel {
    private TrainedModel() {
    }

    /**
     * With use_peft, puts the run's adapters on model (loaded from adapter_name_or_path, or new: B zero, so training
     * starts at the base model) and freezes its weights; otherwise leaves it as it is.
     */
    public static void adapt(CausalLM model, TrainingConfig config) {
        if (!config.usePeft) {
            return;
        }
        if (model.hasAdapters()) {
            throw new BadInputException("model_name_or_path already carries a LoRA adapter: give its base as "
                    + "model_name_or_path and the adapter as adapter_name_or_path, or merge it (align4j merge-adapter)");
        }
        if (config.adapterNameOrPath != null) {
            PeftAdapter.load(model, Paths.get(config.adapterNameOrPath));
        } else {
            model.addAdapters(config.loraConfig(model.config()), null, config.seed);
        }
    }

    /**
     * The model of a checkpoint's model directory: a full checkpoint, or (when it holds an adapter) the base model
     * in baseDir with the checkpoint's adapter on it.
     */
    public static CausalLM resumed(Path checkpointModelDir, Path baseDir, org.align4j.policy.ops.Ops ops) {
        if (PeftAdapter.isAdapter(checkpointModelDir)) {
            CausalLM m = HfCheckpoint.load(baseDir, ops);
            PeftAdapter.load(m, checkpointModelDir);
            return m;
        }
        return HfCheckpoint.load(checkpointModelDir, ops);
    }

    /**
     * Saves model into dir: its adapters in PEFT's format (base_model_name_or_path recording baseDir, which may be
     * null) or the whole model; tokenizer files from tokenizerDir (may be null) either way.
     */
    public static void save(CausalLM model, Path dir, Path tokenizerDir, Path baseDir) {
        if (model.hasAdapters()) {
            PeftAdapter.save(model, dir, baseDir == null ? null : baseDir.toAbsolutePath().normalize().toString(),
                    tokenizerDir);
        } else {
            HfCheckpoint.save(model, dir, tokenizerDir);
        }
    }
}
