package org.align4j.reward.code;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.reward.sandbox.SandboxJob;

/**
 * JavaScript tests (Node.js) are expressions or statements run after the solution in the same
 * {@code vm} context: a test passes when it does not throw and its value is not {@code false}, so
 * {@code add(1, 2) === 3} and {@code assert.strictEqual(add(1, 2), 3)} both work ({@code assert}
 * is Node's). The solution may define globals ({@code function add}) or use {@code module.exports}.
 */
final class JavaScriptHarness implements TestHarness {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HARNESS = CppHarness.load("js_harness.js");

    private final Path node;
    private final List<Path> installation;

    JavaScriptHarness(String nodeCommand) {
        this.node = ToolLocator.find(nodeCommand, "the JavaScript runtime", "apt-get install nodejs");
        this.installation = List.of(ToolLocator.installation(node));
    }

    @Override
    public SandboxJob job(String code, List<String> tests, String nonce) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("harness.js", HARNESS);
        files.put("solution.js", code);
        try {
            files.put("tests.json", JSON.writeValueAsString(tests));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tests cannot be written as JSON: " + e.getMessage(), e);
        }
        return new SandboxJob(files, command("harness.js"), nonce + "\n", installation, Map.of());
    }

    @Override
    public SandboxJob probe() {
        return new SandboxJob(Map.of("probe.js", "require('vm'); require('assert');\n"), command("probe.js"), "",
                installation, Map.of());
    }

    private List<String> command(String script) {
        // A small heap: RLIMIT_AS counts V8's reservations too.
        return List.of(node.toString(), "--max-old-space-size=256", "--stack-size=984", script);
    }
}
