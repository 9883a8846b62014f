package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.reward.RewardFactory;
import org.junit.jupiter.api.Test;

/** C++ (g++) and JavaScript (node) completions against their tests, where the tool is installed. */
class CppAndJavaScriptUnitTestsTest {

    private static boolean installed(String tool) {
        return Files.isExecutable(Path.of("/usr/bin", tool)) || Files.isExecutable(Path.of("/usr/local/bin", tool));
    }

    private static List<Boolean> passed(CodeTestReport r) {
        return r.results().stream().map(TestResult::passed).toList();
    }

    @Test
    void cppTestsPassFailCrashAndThrowEachOnTheirOwn() {
        assumeTrue(installed("g++"), "g++ is not installed");
        CodeTestRunner runner = CodeTestRunner.create(Language.CPP, org.align4j.reward.sandbox.IsolationMode.AUTO, null, null);
        String code = "```cpp\n#include <stdexcept>\nint add(int a, int b) { return a + b; }\n"
                + "int boom(int* p) { return *p; }\n"
                + "int picky(int a) { if (a < 0) throw std::invalid_argument(\"negative\"); return a; }\n```\n";
        CodeTestReport r = runner.run(code, List.of("add(1, 2) == 3", "assert add(2, 2) == 5;", "boom(nullptr) == 0",
                "picky(-1) == 1", "add(-1, 1) == 0"));
        assertEquals(CodeTestReport.Status.COMPLETED, r.status(), r.log());
        assertEquals(List.of(true, false, false, false, true), passed(r), r.toString());
        assertTrue(r.results().get(2).detail().contains("signal 11"), r.results().get(2).detail());
        assertTrue(r.results().get(3).detail().contains("negative"), r.results().get(3).detail());

        CodeTestReport broken = runner.run("int add(int a, int b) { return a + }\n", List.of("add(1, 2) == 3"));
        assertEquals(CodeTestReport.Status.COMPILE_ERROR, broken.status(), broken.toString());
        assertEquals(0.0, broken.reward(RewardMode.FRACTION));
        assertTrue(broken.log().contains("solution.cpp:1"), "the compiler's message names the solution's line: " + broken.log());
    }

    @Test
    void javaScriptTestsAreExpressionsOrAssertStatements() {
        assumeTrue(installed("node"), "node is not installed");
        try (UnitTestReward reward = (UnitTestReward) RewardFactory.outcome(Map.of("type", "javascript_tests"))) {
            CodeTestRunner runner = reward.runner();
            String code = "```javascript\nfunction add(a, b) { return a + b; }\nconst twice = (x) => 2 * x;\n```";
            CodeTestReport r = runner.run(code, List.of("add(1, 2) === 3", "add(2, 2) === 5", "assert.strictEqual(twice(4), 8)",
                    "assert.strictEqual(twice(4), 9)", "undefinedFunction(1)", "twice(3) === 6"));
            assertEquals(CodeTestReport.Status.COMPLETED, r.status(), r.log());
            assertEquals(List.of(true, false, true, false, false, true), passed(r), r.toString());
            assertTrue(r.results().get(4).detail().startsWith("ReferenceError"), r.results().get(4).detail());

            CodeTestReport exported = runner.run("module.exports = { mul: (a, b) => a * b };", List.of("mul(2, 3) === 6"));
            assertEquals(1, exported.passed(), exported.toString());
            CodeTestReport broken = runner.run("function add(a, b) { return a + ; }", List.of("add(1, 2) === 3"));
            assertEquals(0, broken.passed());
            assertTrue(broken.results().get(0).detail().startsWith("solution failed: SyntaxError"), broken.results().get(0).detail());
        }
    }

    @Test
    void aMissingToolIsOneLineNamingIt() {
        IllegalArgumentException gxx = assertThrows(IllegalArgumentException.class,
                () -> RewardFactory.outcome(Map.of("type", "cpp_tests", "interpreter", "/nonexistent/g++")));
        assertTrue(gxx.getMessage().contains("the C++ compiler '/nonexistent/g++' is not installed")
                && gxx.getMessage().contains("apt-get install g++"), gxx.getMessage());
        assertFalse(gxx.getMessage().contains("\n"));
        IllegalArgumentException node = assertThrows(IllegalArgumentException.class,
                () -> RewardFactory.outcome(Map.of("type", "javascript_tests", "interpreter", "no-such-node-binary")));
        assertTrue(node.getMessage().contains("the JavaScript runtime 'no-such-node-binary' is not installed")
                && node.getMessage().contains("apt-get install nodejs"), node.getMessage());
    }
}
