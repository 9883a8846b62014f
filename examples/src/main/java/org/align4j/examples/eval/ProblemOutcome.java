package org.align4j.examples.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a model did on one problem: the reference answer, the final answer extracted from its greedy
 * completion (null when none could be extracted), and for n sampled completions their extracted answers
 * (null entries: no answer) and whether each was judged correct (by the reward function, which may check
 * more than the answer).
 */
public record ProblemOutcome(String reference, String greedy, List<String> samples, List<Boolean> correct) {

    public ProblemOutcome {
        if (reference == null) {
            throw new IllegalArgumentException("reference answer is null");
        }
        if (samples.size() != correct.size()) {
            throw new IllegalArgumentException(samples.size() + " sampled answers but " + correct.size()
                    + " correctness flags");
        }
        // List.copyOf rejects nulls, and a sample without an answer is a null
        samples = Collections.unmodifiableList(new ArrayList<>(samples));
        correct = List.copyOf(correct);
    }
}
