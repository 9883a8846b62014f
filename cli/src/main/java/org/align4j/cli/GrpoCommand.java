package org.align4j.cli;

import java.util.Map;
import java.util.LinkedHashMap;
import org.align4j.policy.util.FiniteJson;
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
                        + "update (the loss is org.align4j.grpo.loss.GrpoLoss).",
                "Keys follow TRL's GRPOConfig: num_generations, beta, epsilon, epsilon_high, delta, num_iterations, "
                        + "loss_type (grpo, dr_grpo, dapo, bnpo, cispo), importance_sampling_level (token, sequence), "
                        + "scale_rewards (group, batch, none), top_entropy_quantile, mask_truncated_completions, "
                        + "kl_estimator (k1, k2, k3), kl_in_reward, log_completions, "
                        + "vllm_importance_sampling_correction, ...; verl's advantage_estimator (grpo, rloo, "
                        + "reinforce_plus_plus, reinforce_plus_plus_baseline), dynamic_sampling, max_num_gen_batches; "
                        + "overlong_buffer_length, overlong_penalty. See docs/grpo.md.",
                "With an 'iterative:' section it runs DeepSeekMath's iterative RL instead: GRPO on a learned reward "
                        + "model, which is retrained on rule-labelled samples of each new policy with a replay buffer."},
        footer = {"", "Examples:",
                "  ./align4j grpo --config examples/configs/grpo-math.yaml",
                "  ./align4j grpo --config examples/configs/grpo-dapo.yaml \\",
                "      --set loss_type=cispo --set epsilon_high=5 --set output_dir=runs/cispo",
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

    @Mixin
    RanksOption ranks;

    @Override
    public Integer call() {
        if (ranks.distributed()) {
            spec.commandLine().getOut().println(ranks.launch("grpo", run.config, run.overrides, run.resume, device.device));
            return 0;
        }
        device.apply();
        GrpoConfig c = run.load(GrpoConfig.class);
        if (c.iterative != null) {
            IterativeGrpo.Result r = new IterativeGrpo(c, run.resume, System.err).train();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("run_dir", r.runDir().toString());
            out.put("final_model", r.finalPolicy().toString());
            out.put("reward_model", r.finalRewardModel().toString());
            out.put("iterations", r.iterations());
            spec.commandLine().getOut().println(FiniteJson.object(out));
            return 0;
        }
        GrpoTrainer.Result r = new GrpoTrainer(c, run.resume, System.err).train();
        spec.commandLine().getOut().println(FiniteJson.object(r.summary()));
        return 0;
    }
}
