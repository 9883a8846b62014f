package org.align4j.cli;

import java.nio.file.Path;
import org.align4j.dpo.PreferenceTrainer;
import org.align4j.dpo.simpo.SimpoConfig;
import org.align4j.dpo.simpo.SimpoTrainer;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "simpo",
        mixinStandardHelpOptions = true,
        description = {"SimPO (TRL's CPOTrainer with loss_type simpo), no reference model.",
                "Length-normalised log-probs with a target margin simpo_gamma; CPO's sigmoid, hinge and ipo",
                "and its NLL term cpo_alpha too.",
                "Rows: {\"prompt\", \"chosen\", \"rejected\"} (text or chat messages) or pre-tokenized",
                "{\"prompt_ids\", \"chosen_ids\", \"rejected_ids\"}.",
                "Writes metrics.jsonl, metrics.png, checkpoints/ and final/ to output_dir; prints a JSON summary."},
        footer = {"",
                "Examples:",
                "  ./align4j simpo --config examples/configs/simpo.yaml",
                "  ./align4j simpo --config examples/configs/simpo.yaml --resume",
                "  ./align4j simpo --config examples/configs/simpo.yaml --set cpo_alpha=0.5 \\",
                "      --set output_dir=runs/cpo-simpo",
                "",
                "Config keys (TRL's CPOConfig names), e.g.:",
                "  model_name_or_path: runs/demo/sft/final",
                "  train_file: runs/data/dpo.jsonl",
                "  loss_type: simpo                  # or sigmoid, hinge, ipo (CPO)",
                "  beta: 2.0",
                "  simpo_gamma: 0.5",
                "  cpo_alpha: 0.0                    # > 0: CPO-SimPO"})
final class SimpoCommand extends PreferenceTrainerCommand {
    @Option(names = "--config", required = true, description = "YAML (or JSON) file of CPOConfig keys (TRL's names).")
    Path config;

    @Override
    PreferenceTrainer.Result train() {
        SimpoConfig c = ConfigLoader.load(config, SimpoConfig.class, overrides);
        return new SimpoTrainer(c, resume, System.err).train();
    }
}
