package org.align4j.reward.code;

import org.align4j.policy.util.BadInputException;
import org.align4j.reward.ToolFactory;
import org.align4j.rollout.tool.Tool;
import org.align4j.rollout.tool.ToolException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PythonToolTest {

    @Test
    void runsCodeInTheSandboxAndReturnsWhatItPrints() throws Exception {
        Tool python = ToolFactory.create(Map.of("type", "python", "timeout_seconds", 5));
        assertEquals("python", python.name());
        assertEquals("42", python.call(Map.of("code", "print(6 * 7)")));
        ToolException error = assertThrows(ToolException.class, () -> python.call(Map.of("code", "print(1)\n1 / 0")));
        assertTrue(error.getMessage().contains("ZeroDivisionError"), error.getMessage());
        ToolException noCode = assertThrows(ToolException.class, () -> python.call(Map.of("source", "1")));
        assertEquals("python needs a string argument \"code\"", noCode.getMessage());
        assertEquals("function", python.schema().get("type"));
    }

    @Test
    void anUnknownToolNamesTheKnownOnes() {
        BadInputException e = assertThrows(BadInputException.class, () -> ToolFactory.create(Map.of("type", "calculator")));
        assertTrue(e.getMessage().startsWith("unknown tool 'calculator' (known: python; or give your own class by its full name"),
                e.getMessage());
    }
}
