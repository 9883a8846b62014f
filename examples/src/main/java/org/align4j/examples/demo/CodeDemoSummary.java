package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.Map;
import org.align4j.examples.eval.EvalReport;

/**
 * summary.json of the code demo, with the math demo's keys for the results ({@code before}, {@code after},
 * {@code k}, {@code n_problems}, {@code seed}): held-out Pass@1 (greedy), Maj@K and Pass@K of the SFT model and
 * of the GRPO model, a completion counted right when it passes all its unit tests; and what produced them
 * ({@link DemoTraining}, written as keys of this object).
 */
// the task's own keys first, as the file was always written; the unwrapped training facts after them
@JsonPropertyOrder({"task", "before", "after", "greedy_hard_coding", "k", "n_problems", "seed",
        "samples_per_problem", "eval_temperature", "train_tasks", "shortcut_share", "sandbox"})
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
                              @JsonProperty("sandbox") String sandbox,
                              @JsonUnwrapped DemoTraining training) {
}
