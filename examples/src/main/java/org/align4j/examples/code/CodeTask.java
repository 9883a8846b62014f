package org.align4j.examples.code;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A programming task with unit tests, MBPP style, as a JSONL row.
 *
 * <p>Python: the completion defines the function the prompt names; each test is an {@code assert} statement
 * run after it. Java: the completion is a class {@code Solution} (no package) with the static method the
 * prompt names; each test is a Java boolean expression, such as {@code Solution.add(1, 2) == 3}, that is
 * true when the method is right.
 */
public record CodeTask(String id, String prompt, List<String> tests, String language,
                       @JsonProperty("reference_solution") String referenceSolution) {

    public CodeTask {
        tests = List.copyOf(tests);
        if (tests.isEmpty()) {
            throw new IllegalArgumentException(id + ": a task needs at least one test");
        }
    }
}
