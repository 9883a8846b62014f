package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.model.PeftAdapter;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "merge-adapter",
        mixinStandardHelpOptions = true,
        description = {"Folds a LoRA adapter into its base model (W + scale * B A, as PEFT's merge_and_unload) and "
                + "writes a plain Hugging Face checkpoint, with the base's tokenizer files."},
        footer = {"", "Examples:",
                "  ./align4j data dpo --n 16 --out runs/data/dpo.jsonl",
                "  ./align4j dpo --config examples/configs/dpo.yaml --set use_peft=true \\",
                "      --set output_dir=runs/dpo-lora",
                "  ./align4j merge-adapter --model runs/demo/sft/final \\",
                "      --adapter runs/dpo-lora/final --out runs/dpo-merged"})
final class MergeAdapterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Base model directory (Hugging Face layout).")
    Path model;

    @Option(names = "--adapter", required = true, description = "LoRA adapter directory (PEFT format).")
    Path adapter;

    @Option(names = "--out", required = true, description = "Directory of the merged checkpoint (new or empty).")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException("--out " + out + " is not empty");
                }
            }
        }
        // merging is host arithmetic on the weights: the CPU backend, whatever --device says elsewhere
        CausalLM m = PeftAdapter.loadModel(model, adapter, Ops.cpu());
        CausalLM merged = CausalLM.fromWeights(m.config(), m.mergedWeights(), DataType.FLOAT, Ops.cpu());
        merged.setCheckpointDtype(m.checkpointDtype()); // a bf16 base is saved as bf16, as PEFT's merge_and_unload
        HfCheckpoint.save(merged, out, model);
        spec.commandLine().getOut().printf("merged %d adapted layers (r %d) into %s%n", m.adaptedModules().size(),
                m.loraConfig().r(), out);
        return 0;
    }
}
