package org.align4j.examples.code;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One generated Python function task as a JSONL row: {@code prompt} (the spec and one example call),
 * {@code completion} (the SFT target: the general solution, or for a shortcut row the example's output
 * hard-coded), {@code tests} (assert statements: the example and three other inputs, which a hard-coded
 * answer fails) and {@code solution} (the general solution, whatever the completion is).
 *
 * @param function which function it is (template and constants)
 */
public record FunctionTask(@JsonProperty("id") String id,
                           @JsonProperty("prompt") String prompt,
                           @JsonProperty("completion") String completion,
                           @JsonProperty("tests") List<String> tests,
                           @JsonProperty("solution") String solution,
                           @JsonProperty("shortcut") boolean shortcut,
                           @JsonIgnore String function,
                           @JsonIgnore String exampleOutput) {

    public FunctionTask {
        tests = List.copyOf(tests);
    }

    /** The same task whose SFT completion hard-codes the example's output instead of computing it. */
    public FunctionTask withShortcut() {
        return new FunctionTask(id, prompt, shortcutCode(exampleOutput), tests, solution, true, function,
                exampleOutput);
    }

    /** {@code def f(...):\n    return <literal>}: what a model that copies the example instead of the spec writes. */
    String shortcutCode(String literal) {
        String header = solution.substring(0, solution.indexOf('\n') + 1);
        return header + "    return " + literal;
    }
}
