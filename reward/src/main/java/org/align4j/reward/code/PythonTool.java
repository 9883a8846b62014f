package org.align4j.reward.code;

import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.Sandbox;
import org.align4j.reward.sandbox.SandboxJob;
import org.align4j.reward.sandbox.SandboxLimits;
import org.align4j.reward.sandbox.SandboxResult;
import org.align4j.rollout.tool.Tool;
import org.align4j.rollout.tool.ToolException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code python} tool of tool-integrated reasoning (DeepSeekMath's program-of-thought, TRL's tools):
 * runs the model's Python code in the {@link Sandbox} and returns what it printed. A run that fails (an
 * exception, a timeout) is a failed call: the model reads {@code Error: } and the output.
 */
public final class PythonTool implements Tool {

    /** The name the model calls it by, and its name in a config's tools list. */
    public static final String NAME = "python";

    private static final Map<String, String> ENV = Map.of(
            "PYTHONIOENCODING", "utf-8", "PYTHONDONTWRITEBYTECODE", "1", "PYTHONHASHSEED", "0");
    /** What a result may hold: enough for a few numbers or a short traceback, not a flood of context. */
    private static final int MAX_RESULT_CHARS = 2000;

    private final String executable;
    private final List<Path> installation;
    private final Sandbox sandbox;

    /**
     * @param python  the interpreter command ({@code python3} when null)
     * @param timeout wall-clock limit of one call
     */
    public PythonTool(String python, Duration timeout, IsolationMode isolation) {
        List<String> where = PythonHarness.describeInterpreter(python == null ? "python3" : python);
        this.executable = where.get(0);
        this.installation = List.of(Path.of(executable).getParent(), Path.of(where.get(1)), Path.of(where.get(2)));
        this.sandbox = Sandbox.create(isolation, SandboxLimits.defaults().withTimeout(timeout),
                new SandboxJob(Map.of(), List.of(executable, "-I", "-B", "-c", "pass"), "", installation, ENV));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Runs Python 3 code and returns what it prints. Use print() to see results.";
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> code = new LinkedHashMap<>();
        code.put("type", "string");
        code.put("description", "The Python code to run.");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "object");
        out.put("properties", Map.of("code", code));
        out.put("required", List.of("code"));
        return out;
    }

    @Override
    public String call(Map<String, Object> arguments) throws ToolException {
        if (!(arguments.get("code") instanceof String code)) {
            throw new ToolException("python needs a string argument \"code\"");
        }
        SandboxResult r = sandbox.run(new SandboxJob(Map.of("main.py", code), List.of(executable, "-I", "-B", "main.py"),
                "", installation, ENV));
        String output = clip(r.output());
        if (r.timedOut()) {
            throw new ToolException("the code ran past " + sandbox.limits().timeout().toSeconds() + " s" + (output.isEmpty() ? "" : "\n" + output));
        }
        if (r.exitCode() != 0) {
            throw new ToolException(output.isEmpty() ? "exit code " + r.exitCode() : output);
        }
        return output;
    }

    private static String clip(String s) {
        String t = s == null ? "" : s.strip();
        return t.length() <= MAX_RESULT_CHARS ? t : t.substring(0, MAX_RESULT_CHARS) + "\n... (output cut)";
    }
}
