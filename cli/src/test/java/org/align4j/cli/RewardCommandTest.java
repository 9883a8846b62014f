package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RewardCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Align4j.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private JsonNode json() throws Exception {
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void mathPrintsTheRewardAndTheExtractedAnswer() throws Exception {
        Path completion = Files.writeString(dir.resolve("answer.txt"), "3 + 5 = 8.\n8 - 2 = 6.\n#### 6");
        assertEquals(0, run("reward", "math", "--completion", completion.toString(), "--answer", "6.0"));
        assertEquals(1.0, json().get("reward").asDouble());
        assertEquals("6", json().get("extracted").asText());
        assertEquals("hashes", json().get("marker").asText());
    }

    @Test
    void codeRunsTheTestsAndPrintsPerTestResults() throws Exception {
        Path tests = Files.writeString(dir.resolve("tests.json"),
                "{\"tests\": [\"assert add(1, 2) == 3\", \"assert add(2, 2) == 5\"]}");
        Path completion = Files.writeString(dir.resolve("solution.md"), "```python\ndef add(a, b):\n    return a + b\n```\n");
        assertEquals(0, run("reward", "code", "--language", "python", "--tests", tests.toString(),
                "--completion", completion.toString(), "--timeout", "5"), err.toString());
        JsonNode result = json();
        assertEquals(0.5, result.get("reward").asDouble());
        assertEquals(1, result.get("passed").asInt());
        assertEquals(2, result.get("total").asInt());
        assertEquals("completed", result.get("status").asText());
        assertTrue(result.get("results").get(1).get("detail").asText().startsWith("AssertionError"), result.toString());

        out.getBuffer().setLength(0);
        assertEquals(0, run("reward", "code", "--language", "python", "--tests", tests.toString(),
                "--completion", completion.toString(), "--mode", "all"));
        assertEquals(0.0, json().get("reward").asDouble());
    }

    @Test
    void sandboxNoneIsExplicitAndWarns() throws Exception {
        Path tests = Files.writeString(dir.resolve("tests.json"), "{\"tests\": [\"assert add(1, 2) == 3\"]}");
        Path completion = Files.writeString(dir.resolve("add.py"), "def add(a, b):\n    return a + b\n");
        assertEquals(0, run("reward", "code", "--language", "python", "--tests", tests.toString(),
                "--completion", completion.toString(), "--sandbox", "none"), err.toString());
        assertTrue(json().get("isolation").asText().startsWith("none+"), out.toString());
        assertTrue(err.toString().contains("WITHOUT isolation"), err.toString());

        assertEquals(2, run("reward", "code", "--language", "python", "--tests", tests.toString(),
                "--completion", completion.toString(), "--sandbox", "limits"));
        assertTrue(err.toString().contains("auto") && err.toString().contains("unshare"), err.toString());
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws Exception {
        Path tests = Files.writeString(dir.resolve("tests.json"), "{\"tests\": [\"assert f()\", 3]}");
        Path completion = Files.writeString(dir.resolve("c.py"), "def f(): return 1\n");
        assertEquals(2, run("reward", "code", "--language", "python", "--tests", tests.toString(), "--completion", completion.toString()));
        assertEquals("align4j reward code: error: " + tests + ": tests[1] must be a string, got 3", err.toString().strip());

        err.getBuffer().setLength(0);
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"tests\": [\n  \"x\",\n}");
        assertEquals(2, run("reward", "code", "--language", "python", "--tests", broken.toString(), "--completion", completion.toString()));
        assertTrue(err.toString().strip().startsWith("align4j reward code: error: " + broken + ": not valid JSON (line 3"), err.toString());
        assertEquals(1, err.toString().strip().lines().count());

        err.getBuffer().setLength(0);
        assertEquals(2, run("reward", "math", "--completion", dir.resolve("missing.txt").toString(), "--answer", "1"));
        assertTrue(err.toString().contains("completion file '" + dir.resolve("missing.txt") + "' not found"), err.toString());
    }

    @Test
    void helpShowsAnExample() {
        assertEquals(0, run("reward", "code", "--help"));
        assertTrue(out.toString().contains("./align4j reward code --language python --tests tests.json \\\n      --completion add.py"), out.toString());
    }
}
