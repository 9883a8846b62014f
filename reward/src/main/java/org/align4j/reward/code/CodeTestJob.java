package org.align4j.reward.code;

import java.io.Serializable;
import java.util.List;

/**
 * One completion to run against its row's tests: what a {@link CodeTestExecutor} ships to wherever the sandbox runs
 * (serialisable, so that it can travel to a Spark executor).
 *
 * @param completion the completion as sampled (its code is extracted where it runs)
 * @param tests      the row's unit tests, at least one
 */
public record CodeTestJob(String completion, List<String> tests) implements Serializable {
    private static final long serialVersionUID = 1L;

    public CodeTestJob {
        tests = List.copyOf(tests);
    }
}
