package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import org.align4j.examples.eval.EvalReport;

/**
 * summary.json of a demo run: held-out Pass@1 (greedy), Maj@K and Pass@K before RL (the SFT model) and
 * after it (the GRPO model), and what produced them (sizes, steps, seconds per phase).
 */
public record DemoSummary(@JsonProperty("before") EvalReport before,
                          @JsonProperty("after") EvalReport after,
                          @JsonProperty("greedy_working") Map<String, ShownWork> greedyWorking,
                          @JsonProperty("k") int k,
                          @JsonProperty("n_problems") int nProblems,
                          @JsonProperty("seed") long seed,
                          @JsonProperty("samples_per_problem") int samplesPerProblem,
                          @JsonProperty("eval_temperature") double evalTemperature,
                          @JsonProperty("supervision") String supervision,
                          @JsonProperty("iterative") boolean iterative,
                          @JsonProperty("difficulty") String difficulty,
                          @JsonProperty("train_problems") int trainProblems,
                          @JsonProperty("terse_share") double terseShare,
                          @JsonProperty("model_parameters") long modelParameters,
                          @JsonProperty("vocab_size") int vocabSize,
                          @JsonProperty("sft_steps") long sftSteps,
                          @JsonProperty("sft_final_loss") double sftFinalLoss,
                          @JsonProperty("grpo_steps") long grpoSteps,
                          @JsonProperty("grpo_final_reward") double grpoFinalReward,
                          @JsonProperty("max_completion_length") int maxCompletionLength,
                          @JsonProperty("sft_model") String sftModel,
                          @JsonProperty("grpo_model") String grpoModel,
                          @JsonProperty("plots") Map<String, String> plots,
                          @JsonProperty("wall_seconds") Map<String, Double> wallSeconds,
                          @JsonProperty("cpu_seconds") Map<String, Double> cpuSeconds) {
}
