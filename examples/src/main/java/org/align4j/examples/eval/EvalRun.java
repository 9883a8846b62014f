package org.align4j.examples.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/** The JSON `align4j eval` prints and writes: the metrics, then what they were measured on and how. */
public record EvalRun(@JsonUnwrapped EvalReport report,
                      @JsonProperty("samples_per_problem") int samplesPerProblem,
                      @JsonProperty("temperature") double temperature,
                      @JsonProperty("top_p") double topP,
                      @JsonProperty("max_completion_length") int maxCompletionLength,
                      @JsonProperty("seed") long seed,
                      @JsonProperty("model") String model,
                      @JsonProperty("dataset") String dataset,
                      @JsonProperty("sampled_tokens") long sampledTokens,
                      @JsonProperty("seconds") double seconds) {
}
