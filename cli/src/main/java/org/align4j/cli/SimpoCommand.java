package org.align4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.dpo.simpo.SimpoConfig;
import org.align4j.dpo.simpo.SimpoTrainer;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
final class SimpoCommand implements Callable<Integer> {
    @Mixin
    ListKeysOption listKeys;

    @Mixin
    DeviceOption device;

    @Option(names = "--config", required = true, description = "YAML (or JSON) file of CPOConfig keys (TRL's names).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue the run in output_dir from its latest checkpoint.")
    boolean resume;

    @Override
    public Integer call() {
        device.apply();
        SimpoConfig c = ConfigLoader.load(config, SimpoConfig.class, overrides);
        PreferenceRunOutput.print(new SimpoTrainer(c, resume, System.err).train());
        return 0;
    }
}
