package org.align4j.examples.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One evaluated problem as a JSONL row, for reading what the model wrote: the greedy completion and its
 * answer, and the answers of the sampled completions (null: none found) with how many were right.
 */
public record ProblemResult(@JsonProperty("id") String id,
                            @JsonProperty("prompt") String prompt,
                            @JsonProperty("answer") String answer,
                            @JsonProperty("greedy") String greedy,
                            @JsonProperty("greedy_answer") String greedyAnswer,
                            @JsonProperty("greedy_correct") boolean greedyCorrect,
                            @JsonProperty("sample_answers") List<String> sampleAnswers,
                            @JsonProperty("samples_correct") int samplesCorrect) {
}
