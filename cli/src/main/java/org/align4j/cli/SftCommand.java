package org.align4j.cli;

import org.align4j.policy.util.FiniteJson;
import java.util.concurrent.Callable;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.sft.SftTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "sft",
        mixinStandardHelpOptions = true,
        description = {"Supervised fine-tuning of a causal LM on JSONL rows.",
                "Rows: {\"prompt\", \"completion\"} (loss on the completion), {\"text\"}, or pre-tokenized "
                        + "{\"prompt_ids\", \"completion_ids\"}.",
                "Start from model_name_or_path, or a new model from init_config (a config.json) with tokenizer."},
        footer = {"", "Examples:",
                "  ./align4j sft --config examples/configs/sft.yaml",
                "  ./align4j sft --config examples/configs/sft.yaml --set learning_rate=3e-4 \\",
                "      --set max_steps=200 --set output_dir=runs/sft-short",
                "  ./align4j sft --config examples/configs/sft.yaml --resume   # go on"})
final class SftCommand implements Callable<Integer> {
    @Mixin
    ListKeysOption listKeys;

    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;


    @Mixin
    RunOptions run;

    @Mixin
    RanksOption ranks;

    @Override
    public Integer call() {
        if (ranks.distributed()) {
            spec.commandLine().getOut().println(ranks.launch("sft", run.config, run.overrides, run.resume, device.device));
            return 0;
        }
        device.apply();
        SftConfig c = run.load(SftConfig.class);
        SftTrainer.Result r = new SftTrainer(c, run.resume, System.err).train();
        spec.commandLine().getOut().println(FiniteJson.object(r.summary()));
        return 0;
    }
}
