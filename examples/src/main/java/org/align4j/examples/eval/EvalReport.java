package org.align4j.examples.eval;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Means over problems: greedy accuracy (pass@1 from one greedy sample), majority-vote accuracy over k
 * samples, and the unbiased pass@k estimate from n >= k samples.
 */
public record EvalReport(@JsonProperty("pass@1") double pass1,
                         @JsonProperty("maj@k") double majAtK,
                         @JsonProperty("pass@k") double passAtK,
                         @JsonProperty("k") int k,
                         @JsonProperty("n_problems") int nProblems) {
}
