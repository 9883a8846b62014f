package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import org.align4j.examples.eval.EvalReport;

/**
 * summary.json of the code demo, with the math demo's keys for the results ({@code before}, {@code after},
 * {@code k}, {@code n_problems}, {@code seed}): held-out Pass@1 (greedy), Maj@K and Pass@K of the SFT model and
 * of the GRPO model, a completion counted right when it passes all its unit tests; and what produced them.
 */
public record CodeDemoSummary(@JsonProperty("task") String task,
                              @JsonProperty("before") EvalReport before,
                              @JsonProperty("after") EvalReport after,
                              @JsonProperty("greedy_hard_coding") Map<String, HardCoding> greedyHardCoding,
                              @JsonProperty("k") int k,
                              @JsonProperty("n_problems") int nProblems,
                              @JsonProperty("seed") long seed,
                              @JsonProperty("samples_per_problem") int samplesPerProblem,
                              @JsonProperty("eval_temperature") double evalTemperature,
                              @JsonProperty("train_tasks") int trainTasks,
                              @JsonProperty("shortcut_share") double shortcutShare,
                              @JsonProperty("model_parameters") long modelParameters,
                              @JsonProperty("vocab_size") int vocabSize,
                              @JsonProperty("sft_steps") long sftSteps,
                              @JsonProperty("sft_final_loss") double sftFinalLoss,
                              @JsonProperty("grpo_steps") long grpoSteps,
                              @JsonProperty("grpo_final_reward") double grpoFinalReward,
                              @JsonProperty("max_completion_length") int maxCompletionLength,
                              @JsonProperty("sandbox") String sandbox,
                              @JsonProperty("sft_model") String sftModel,
                              @JsonProperty("grpo_model") String grpoModel,
                              @JsonProperty("plots") Map<String, String> plots,
                              @JsonProperty("wall_seconds") Map<String, Double> wallSeconds,
                              @JsonProperty("cpu_seconds") Map<String, Double> cpuSeconds) {
}
