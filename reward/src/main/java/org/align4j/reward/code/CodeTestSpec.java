package org.align4j.reward.code;

import java.io.Serializable;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.SandboxLimits;

/**
 * How a code reward's completions are run: the language, the sandbox's isolation and limits and the interpreter.
 * Serialisable, so that a remote executor builds the same {@link CodeTestRunner} on its machine.
 *
 * @param interpreter null for the language's default (see {@link CodeTestRunner#create})
 */
public record CodeTestSpec(Language language, IsolationMode isolation, SandboxLimits limits, String interpreter)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The runner of this spec (checks that the interpreter runs in the sandbox). */
    public CodeTestRunner runner() {
        return CodeTestRunner.create(language, isolation, limits, interpreter);
    }
}
