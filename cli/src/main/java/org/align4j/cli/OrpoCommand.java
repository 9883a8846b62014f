package org.align4j.cli;

import java.nio.file.Path;
import org.align4j.dpo.PreferenceTrainer;
import org.align4j.dpo.orpo.OrpoConfig;
import org.align4j.dpo.orpo.OrpoTrainer;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "orpo",
        mixinStandardHelpOptions = true,
        description = {"Odds Ratio Preference Optimization (TRL's ORPOTrainer), no reference model.",
                "SFT on the chosen completions plus an odds-ratio term against the rejected ones.",
                "Rows: {\"prompt\", \"chosen\", \"rejected\"} (text or chat messages) or pre-tokenized",
                "{\"prompt_ids\", \"chosen_ids\", \"rejected_ids\"}.",
                "Writes metrics.jsonl, metrics.png, checkpoints/ and final/ to output_dir; prints a JSON summary."},
        footer = {"",
                "Examples:",
                "  ./align4j orpo --config examples/configs/orpo.yaml",
                "  ./align4j orpo --config examples/configs/orpo.yaml --resume",
                "",
                "Config keys (TRL's ORPOConfig names), e.g.:",
                "  model_name_or_path: runs/demo/sft/final",
                "  train_file: runs/data/dpo.jsonl",
                "  beta: 0.1                         # the paper's lambda"})
final class OrpoCommand extends PreferenceTrainerCommand {
    @Option(names = "--config", required = true, description = "YAML (or JSON) file of ORPOConfig keys (TRL's names).")
    Path config;

    @Override
    PreferenceTrainer.Result train() {
        OrpoConfig c = ConfigLoader.load(config, OrpoConfig.class, overrides);
        return new OrpoTrainer(c, resume, System.err).train();
    }
}
