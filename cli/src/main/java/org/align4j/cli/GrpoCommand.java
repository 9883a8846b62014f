package org.align4j.cli;

import java.util.concurrent.Callable;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.grpo.IterativeGrpo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "grpo",
        mixinStandardHelpOptions = true,
        description = {"Group Relative Policy Optimization (DeepSeekMath) of a policy against rewards.",
                "Each step samples num_generations completions per prompt, scores them with the configured "
                        + "rewards, normalises rewards within each group and takes the clipped, KL-regularised "
                        + "update (the loss is org.align4j.grpo.GrpoLoss).",
                "Keys follow TRL's GRPOConfig: num_generations, beta, epsilon, epsilon_high, num_iterations, "
                        + "loss_type, scale_rewards, mask_truncated_completions, max_completion_length, "
                        + "sync_ref_model, ...",
                "With an 'iterative:' section it runs DeepSeekMath's iterative RL instead: GRPO on a learned reward "
                        + "model, which is retrained on rule-labelled samples of each new policy with a replay buffer."},
        footer = {"", "Examples:",
                "  ./align4j grpo --config examples/configs/grpo-math.yaml",
                "  ./align4j grpo --config examples/configs/grpo-math.yaml --set beta=0 \\",
                "      --set num_generations=16 --set output_dir=runs/grpo-beta0",
                "  ./align4j grpo --config examples/configs/grpo-math.yaml --resume"})
final class GrpoCommand implements Callable<Integer> {
    @Mixin
    ListKeysOption listKeys;

    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;


    @Mixin
    RunOptions run;

    @Override
    public Integer call() {
        device.apply();
        GrpoConfig c = run.load(GrpoConfig.class);
        if (c.iterative != null) {
            IterativeGrpo.Result r = new IterativeGrpo(c, run.resume, System.err).train();
            spec.commandLine().getOut().printf("{\"run_dir\": \"%s\", \"final_model\": \"%s\", \"reward_model\": \"%s\", "
                    + "\"iterations\": %d}%n", r.runDir(), r.finalPolicy(), r.finalRewardModel(), r.iterations());
            return 0;
        }
        GrpoTrainer.Result r = new GrpoTrainer(c, run.resume, System.err).train();
        spec.commandLine().getOut().printf("{\"run_dir\": \"%s\", \"final_model\": \"%s\", \"steps\": %d, \"reward\": %s%s}%n",
                r.runDir(), r.finalModel(), r.steps(), r.lastRewardMean(),
                r.lastEvalAccuracy() == null ? "" : ", \"eval_accuracy\": " + r.lastEvalAccuracy());
        return 0;
    }
}
