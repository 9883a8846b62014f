package org.align4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.align4j.reward.code.CodeTestReport;
import org.align4j.reward.code.CodeTestRunner;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.RewardMode;
import org.align4j.reward.code.TestResult;
import org.align4j.reward.sandbox.IsolationMode;
import org.align4j.reward.sandbox.SandboxLimits;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j reward code}: runs one completion's code against unit tests in the sandbox, prints JSON. */
@Command(name = "code",
        mixinStandardHelpOptions = true,
        description = {"Runs a completion's code against unit tests in a sandbox and prints the reward as JSON.",
                "The code is the completion's markdown code fence when it has one, else the whole completion; each "
                        + "test runs separately. Prints {\"reward\": r, \"passed\": p, "
                        + "\"total\": n, \"status\": ..., \"isolation\": ..., \"results\": [...]}.",
                "TESTS.json is {\"tests\": [...]}: Python assert statements (MBPP style); Java boolean expressions "
                        + "over the solution's classes, or C++ (g++) boolean expressions over its functions (an 'assert' "
                        + "prefix and ';' are accepted); JavaScript (node) expressions or statements (a test passes "
                        + "unless it throws or is false; Node's assert is there).",
                "The sandbox uses bubblewrap when it works here, else namespaces through util-linux's unshare; where "
                        + "neither works it refuses (install bubblewrap or enable user namespaces), unless --sandbox none "
                        + "asks to run the code without isolation."},
        footer = {"", "Examples:",
                "  echo '{\"tests\": [\"assert add(1, 2) == 3\"]}' > tests.json",
                "  printf 'def add(a, b):\\n    return a + b\\n' > add.py",
                "  ./align4j reward code --language python --tests tests.json \\",
                "      --completion add.py",
                "  echo '{\"tests\": [\"Solution.add(1, 2) == 3\"]}' > tests-java.json",
                "  echo 'class Solution {' \\",
                "      'static int add(int a, int b) { return a + b; } }' > S.java",
                "  ./align4j reward code --language java --tests tests-java.json \\",
                "      --completion S.java",
                "  echo '{\"tests\": [\"add(1, 2) === 3\"]}' > tests-js.json",
                "  echo 'function add(a, b) { return a + b; }' > add.js",
                "  ./align4j reward code --language javascript --tests tests-js.json \\",
                "      --completion add.js"})
public final class RewardCodeCommand implements Runnable {

    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--language", required = true, paramLabel = "python|java|cpp|javascript", converter = LanguageConverter.class,
            description = "Language of the code and the tests.")
    Language language;

    @Option(names = "--tests", required = true, paramLabel = "TESTS.json", description = "JSON file {\"tests\": [...]}.")
    String tests;

    @Option(names = "--completion", required = true, paramLabel = "CODE_FILE",
            description = "The completion: code, or markdown with a code fence ('-' reads standard input).")
    String completion;

    @Option(names = "--mode", paramLabel = "fraction|all", defaultValue = "fraction", converter = ModeConverter.class,
            description = "Reward = fraction of tests passed, or 1 only when all pass (default: ${DEFAULT-VALUE}).")
    RewardMode mode;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Wall-clock limit for the whole run (default: 10; 30 for C++, which compiles in it).")
    Double timeoutSeconds;

    @Option(names = "--memory-mb", paramLabel = "MB",
            description = "Address-space limit per process (default: 512 for Python, 1024 for the others).")
    Integer memoryMb;

    @Option(names = "--sandbox", paramLabel = "auto|bwrap|unshare|none", defaultValue = "auto", converter = IsolationConverter.class,
            description = "bwrap: require bubblewrap; unshare: require the util-linux namespaces; none: NO isolation "
                    + "(process limits only, with a warning); auto: bwrap, else unshare, else refuse (default).")
    IsolationMode isolation;

    @Option(names = "--interpreter", paramLabel = "CMD_OR_DIR",
            description = "Python interpreter (default python3), JDK home for Java (default: this JVM's), C++ compiler "
                    + "(default g++) or Node.js (default node).")
    String interpreter;

    @Override
    public void run() {
        List<String> testList = readTests(tests);
        String code = CliFiles.readText(completion, "completion");
        SandboxLimits limits = CodeTestRunner.defaultLimits(language);
        if (timeoutSeconds != null) {
            if (!(timeoutSeconds > 0)) {
                throw new IllegalArgumentException("--timeout must be positive, got " + timeoutSeconds);
            }
            limits = limits.withTimeout(Duration.ofMillis(Math.round(timeoutSeconds * 1000)));
        }
        if (memoryMb != null) {
            if (memoryMb < 16) {
                throw new IllegalArgumentException("--memory-mb must be at least 16, got " + memoryMb);
            }
            limits = limits.withMemoryBytes(memoryMb * 1024L * 1024L);
        }
        if (isolation == IsolationMode.NONE) {
            spec.commandLine().getErr().println("align4j code: warning: --sandbox none runs the untrusted code WITHOUT "
                    + "isolation (network, files and processes of this user are reachable)");
        }
        CodeTestReport report = CodeTestRunner.create(language, isolation, limits, interpreter).run(code, testList);

        ObjectNode out = JSON.createObjectNode();
        out.put("reward", report.reward(mode));
        out.put("passed", report.passed());
        out.put("total", report.total());
        out.put("status", report.status().name().toLowerCase(Locale.ROOT));
        out.put("isolation", report.isolation());
        ArrayNode results = out.putArray("results");
        for (TestResult r : report.results()) {
            ObjectNode o = results.addObject();
            o.put("test", r.test());
            o.put("passed", r.passed());
            if (!r.passed()) {
                o.put("detail", r.detail());
            }
        }
        if (report.status() != CodeTestReport.Status.COMPLETED && !report.log().isBlank()) {
            out.put("log", report.log());
        }
        spec.commandLine().getOut().println(out);
        spec.commandLine().getOut().flush();
    }

    /** The test list of a TESTS.json file: {"tests": [...]} (MBPP's "test_list" is accepted too). */
    static List<String> readTests(String path) {
        String text = CliFiles.readText(path, "tests");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(path + ": not valid JSON (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + "): " + e.getOriginalMessage());
        }
        JsonNode list = root == null || !root.isObject() ? null : root.has("tests") ? root.get("tests") : root.get("test_list");
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException(path + ": expected an object with key 'tests' holding a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isTextual()) {
                throw new IllegalArgumentException(path + ": tests[" + i + "] must be a string, got " + list.get(i));
            }
            out.add(list.get(i).asText());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(path + ": key 'tests' is empty");
        }
        return out;
    }

    static final class LanguageConverter extends LowerCaseEnumConverter<Language> {
        LanguageConverter() {
            super(Language.class);
        }
    }

    static final class ModeConverter extends LowerCaseEnumConverter<RewardMode> {
        ModeConverter() {
            super(RewardMode.class);
        }
    }

    static final class IsolationConverter extends LowerCaseEnumConverter<IsolationMode> {
        IsolationConverter() {
            super(IsolationMode.class);
        }
    }
}
