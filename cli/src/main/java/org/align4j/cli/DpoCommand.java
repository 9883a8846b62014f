package org.align4j.cli;

import org.align4j.policy.util.FiniteJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.dpo.DpoConfig;
import org.align4j.dpo.DpoPreset;
import org.align4j.dpo.DpoTrainer;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dpo",
        mixinStandardHelpOptions = true,
        description = {"Direct Preference Optimization (TRL's DPOTrainer) of a model on preference pairs.",
                "Rows: {\"prompt\", \"chosen\", \"rejected\"} (text, or chat messages through the tokenizer's chat template)",
                "or pre-tokenized {\"prompt_ids\", \"chosen_ids\", \"rejected_ids\"}.",
                "Writes metrics.jsonl, metrics.png, checkpoints/ and final/ (Hugging Face layout) to output_dir;",
                "prints a JSON summary (paths and the last train and eval metrics) to stdout."},
        footer = {"", "Examples:",
                "  ./align4j data dpo --n 500 --out runs/data/dpo.jsonl",
                "  ./align4j dpo --config examples/configs/dpo.yaml --preset deepseek \\",
                "      --set beta=0.1",
                "  ./align4j dpo --config examples/configs/dpo.yaml --resume",
                "",
                "Config keys (TRL's DPOConfig names), e.g.:",
                "  model_name_or_path: runs/demo/sft/final",
                "  train_file: runs/data/dpo.jsonl",
                "  eval_file: runs/data/dpo-eval.jsonl",
                "  loss_type: sigmoid      # or hinge, ipo, robust, exo_pair, nca_pair,",
                "                          # bco_pair, sppo_hard, apo_zero, apo_down,",
                "                          # sigmoid_norm (docs/preference.md)",
                "  beta: 0.1"})
final class DpoCommand implements Callable<Integer> {
    @Mixin
    ListKeysOption listKeys;

    @Mixin
    DeviceOption device;

    @Option(names = "--config", required = true, description = "YAML (or JSON) file of DPOConfig keys (TRL's names).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--preset", paramLabel = "NAME",
            description = "Apply a preset after the file, before --set: deepseek (lr 5e-6, 1 epoch, warmup 10%% + cosine).")
    String preset;

    @Option(names = "--resume", description = "Continue the run in output_dir from its latest checkpoint.")
    boolean resume;

    @Mixin
    RanksOption ranks;

    @Override
    public Integer call() {
        List<String> all = new ArrayList<>();
        if (preset != null) {
            all.addAll(DpoPreset.parse(preset).overrides());
        }
        all.addAll(overrides);
        if (ranks.distributed()) {
            System.out.println(ranks.launch("dpo", config, all, resume, device.device));
            return 0;
        }
        device.apply();
        DpoConfig c = ConfigLoader.load(config, DpoConfig.class, all);
        DpoTrainer.Result r = new DpoTrainer(c, resume, System.err).train();
        System.out.println(FiniteJson.object(r.summary()));
        return 0;
    }
}
