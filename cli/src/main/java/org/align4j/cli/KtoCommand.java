package org.align4j.cli;

import java.nio.file.Path;
import org.align4j.dpo.PreferenceTrainer;
import org.align4j.dpo.kto.KtoConfig;
import org.align4j.dpo.kto.KtoTrainer;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "kto",
        mixinStandardHelpOptions = true,
        description = {"Kahneman-Tversky Optimization (TRL's KTOTrainer) on completions labelled desirable or undesirable.",
                "Rows: {\"prompt\", \"completion\", \"label\": true|false} (text or chat messages), pre-tokenized",
                "{\"prompt_ids\", \"completion_ids\", \"label\"}, or preference rows {\"prompt\", \"chosen\", \"rejected\"}",
                "(a desirable and an undesirable example each). The starting model is the frozen reference.",
                "Writes metrics.jsonl, metrics.png, checkpoints/ and final/ to output_dir; prints a JSON summary."},
        footer = {"",
                "Examples:",
                "  ./align4j kto --config examples/configs/kto.yaml",
                "  ./align4j kto --config examples/configs/kto.yaml --resume",
                "  ./align4j kto --config examples/configs/kto.yaml \\",
                "      --set loss_type=apo_zero_unpaired --set output_dir=runs/kto-apo",
                "",
                "Config keys (TRL's KTOConfig names), e.g.:",
                "  model_name_or_path: runs/demo/sft/final",
                "  train_file: runs/data/dpo.jsonl   # pairs, or {prompt, completion, label}",
                "  loss_type: kto                    # or apo_zero_unpaired",
                "  beta: 0.1",
                "  desirable_weight: 1.0",
                "  undesirable_weight: 1.0"})
final class KtoCommand extends PreferenceTrainerCommand {
    @Option(names = "--config", required = true, description = "YAML (or JSON) file of KTOConfig keys (TRL's names).")
    Path config;

    @Override
    PreferenceTrainer.Result train() {
        KtoConfig c = ConfigLoader.load(config, KtoConfig.class, overrides);
        return new KtoTrainer(c, resume, System.err).train();
    }
}
