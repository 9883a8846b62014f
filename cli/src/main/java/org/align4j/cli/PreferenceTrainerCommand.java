package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.dpo.PreferenceTrainer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the KTO, ORPO and SimPO commands share: their options but {@code --config} (whose help names the TRL
 * config class) and their run, which trains and prints a JSON summary: paths, steps and the last train and
 * eval metrics. Each command adds its {@code --config} option and builds its trainer.
 */
abstract class PreferenceTrainerCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ListKeysOption listKeys;

    @Mixin
    DeviceOption device;

    @Mixin
    OneRankOption oneRank;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue the run in output_dir from its latest checkpoint.")
    boolean resume;

    /** Loads the config (with {@link #overrides}) and trains, resuming where {@link #resume} asks. */
    abstract PreferenceTrainer.Result train();

    @Override
    public Integer call() {
        oneRank.requireOneRank();
        device.apply();
        PreferenceTrainer.Result r = train();
        ObjectNode out = JSON.createObjectNode();
        out.put("run_dir", r.runDir().toString());
        out.put("final_model", r.finalModel().toString());
        out.put("steps", r.steps());
        r.train().forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
        r.eval().forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
        System.out.println(out);
        return 0;
    }
}
