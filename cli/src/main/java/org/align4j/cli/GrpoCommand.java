package org.align4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "grpo",
        mixinStandardHelpOptions = true,
        description = {"Group Relative Policy Optimization (DeepSeekMath) of a policy against rewards.",
                "Each step samples num_generations completions per prompt, scores them with the configured "
                        + "rewards, normalises rewards within each group and takes the clipped, KL-regularised "
                        + "update (the loss is org.align4j.grpo.GrpoLoss).",
                "Keys follow TRL's GRPOConfig: num_generations, beta, epsilon, epsilon_high, num_iterations, "
                        + "loss_type, scale_rewards, mask_truncated_completions, max_completion_length, "
                        + "sync_ref_model, ..."},
        footer = {"", "Examples:",
                "  align4j grpo --config examples/configs/grpo-math.yaml",
                "  align4j grpo --config grpo.yaml --set beta=0 --set num_generations=16",
                "  align4j grpo --config grpo.yaml --resume"})
final class GrpoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;


    @Option(names = "--config", required = true, description = "YAML (or JSON) file of GrpoConfig keys.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue the run in output_dir from its latest checkpoint.")
    boolean resume;

    @Override
    public Integer call() {
        GrpoConfig c = ConfigLoader.load(config, GrpoConfig.class, overrides);
        GrpoTrainer.Result r = new GrpoTrainer(c, resume, System.err).train();
        spec.commandLine().getOut().printf("{\"run_dir\": \"%s\", \"final_model\": \"%s\", \"steps\": %d, \"reward\": %s%s}%n",
                r.runDir(), r.finalModel(), r.steps(), r.lastRewardMean(),
                r.lastEvalAccuracy() == null ? "" : ", \"eval_accuracy\": " + r.lastEvalAccuracy());
        return 0;
    }
}
