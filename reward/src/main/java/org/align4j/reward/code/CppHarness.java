package org.align4j.reward.code;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.reward.sandbox.SandboxJob;

/**
 * C++ tests are boolean expressions over the solution's functions ({@code add(2, 3) == 5}; a leading
 * {@code assert} and a trailing {@code ;} are accepted). The solution (after common standard
 * headers) and a generated {@code main} are one file, compiled by {@code g++ -std=c++17} inside the
 * sandbox and run there; each test runs in its own forked process, so a crash fails only that test.
 * A compile error fails every test.
 */
final class CppHarness implements TestHarness {

    static final String COMPILE_FAILED = "align4j: compilation failed";
    private static final String TEMPLATE = load("cpp_harness.cpp.template");

    private final Path compiler;
    private final List<Path> installation;

    CppHarness(String gxx) {
        this.compiler = ToolLocator.find(gxx, "the C++ compiler", "apt-get install g++");
        this.installation = List.of(ToolLocator.installation(compiler));
    }

    @Override
    public SandboxJob job(String code, List<String> tests, String nonce) {
        StringBuilder checks = new StringBuilder();
        for (int i = 0; i < tests.size(); i++) {
            checks.append("    align4j_harness::check(").append(i).append(", [&]() -> bool { return (")
                    .append(JavaHarness.expression(tests.get(i))).append("); });\n");
        }
        String source = TEMPLATE.replace("/*SOLUTION*/", "#line 1 \"solution.cpp\"\n" + code + "\n")
                .replace("/*CHECKS*/\n", checks.toString());
        return new SandboxJob(Map.of("main.cpp", source), command("main.cpp"), nonce + "\n", installation, Map.of());
    }

    @Override
    public SandboxJob probe() {
        return new SandboxJob(Map.of("main.cpp", "#include <string>\nint main() { return std::string(\"ok\").size() == 2 ? 0 : 1; }\n"),
                command("main.cpp"), "", installation, Map.of());
    }

    @Override
    public boolean compileFailed(String output) {
        return output.contains(COMPILE_FAILED);
    }

    private List<String> command(String source) {
        // The program is written to the scratch directory; -pipe keeps the compiler's temporary files in memory.
        String script = "\"$1\" -std=c++17 -O1 -pipe -o prog " + source + " 2>&1 || { echo '" + COMPILE_FAILED
                + "'; exit 1; }; exec ./prog";
        return List.of("/bin/sh", "-c", script, "align4j-cpp", compiler.toString());
    }

    static String load(String resource) {
        try (InputStream in = CppHarness.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the reward jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
