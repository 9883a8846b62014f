package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.Map;
import org.align4j.examples.eval.EvalReport;

/**
 * summary.json of a demo run: held-out Pass@1 (greedy), Maj@K and Pass@K before RL (the SFT model) and
 * after it (the GRPO model), the greedy habits, the math settings, and what produced them ({@link DemoTraining}:
 * sizes, steps, seconds per phase, written as keys of this object).
 */
// the task's own keys first, as the file was always written; the unwrapped training facts after them
@JsonPropertyOrder({"before", "after", "greedy_working", "k", "n_problems", "seed", "samples_per_problem",
        "eval_temperature", "supervision", "iterative", "difficulty", "train_problems", "terse_share"})
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
                          @JsonUnwrapped DemoTraining training) {
}
