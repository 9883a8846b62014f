package org.align4j.reward.code;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.align4j.reward.sandbox.SandboxJob;
import org.align4j.reward.sandbox.SandboxLimits;

/**
 * Java tests are boolean expressions over the solution's classes ({@code Solution.add(2, 3) == 5};
 * a leading {@code assert} and a trailing {@code ;} are accepted), each checked on its own in a
 * generated {@code main}. The solution is a compilation unit: imports and top-level classes (a
 * {@code package} line is dropped). Harness and solution are one source file run by the JDK's
 * source launcher ({@code java Align4jTests.java}, JEP 330) from this JVM's {@code java.home}: it
 * compiles in memory and runs in the same, separate process, one JVM start instead of two
 * ({@code javac} then {@code java}). A compile error fails every test.
 */
final class JavaHarness implements TestHarness {

    private static final String TEMPLATE = loadTemplate();
    private static final Pattern IMPORT = Pattern.compile("(?m)^[ \\t]*import\\s+(?:static\\s+)?[\\w.]+(?:\\.\\*)?\\s*;[ \\t]*$");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^[ \\t]*package\\s+[\\w.]+\\s*;[ \\t]*$");
    private static final long MIB = 1024L * 1024L;

    private final Path javaHome;
    private final List<String> jvmOptions;

    JavaHarness(Path javaHome, SandboxLimits limits) {
        if (!Files.isExecutable(javaHome.resolve("bin/java"))) {
            throw new IllegalArgumentException("no bin/java under JDK home '" + javaHome + "'");
        }
        try {
            // the sandbox shows real paths only; a symlinked JDK home would dangle inside
            this.javaHome = javaHome.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The JVM reserves address space well beyond its heap (code cache, class space), and
        // RLIMIT_AS counts reservations: keep them small so the heap can have a quarter of the limit.
        long heap = Math.max(32 * MIB, Math.min(1024 * MIB, limits.memoryBytes() / 4));
        this.jvmOptions = List.of("-Xmx" + heap / MIB + "m", "-Xss1m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=32m", "-XX:CompressedClassSpaceSize=64m", "-XX:MaxMetaspaceSize=128m",
                "-XX:-UsePerfData", "-Xshare:auto", "-Djava.io.tmpdir=.", "-Dfile.encoding=UTF-8");
    }

    @Override
    public SandboxJob job(String code, List<String> tests, String nonce) {
        StringBuilder imports = new StringBuilder();
        Matcher m = IMPORT.matcher(code);
        while (m.find()) {
            imports.append(m.group().strip()).append('\n');
        }
        String body = PACKAGE.matcher(IMPORT.matcher(code).replaceAll("")).replaceAll("");
        StringBuilder checks = new StringBuilder();
        for (int i = 0; i < tests.size(); i++) {
            checks.append("        check(report, nonce, ").append(i).append(", () -> (")
                    .append(expression(tests.get(i))).append("));\n");
        }
        String source = TEMPLATE.replace("/*IMPORTS*/", imports.toString())
                .replace("/*CHECKS*/\n", checks.toString())
                .replace("/*SOLUTION*/", body);
        return new SandboxJob(Map.of("Align4jTests.java", source), command("Align4jTests.java"), nonce + "\n",
                List.of(javaHome), Map.of());
    }

    @Override
    public SandboxJob probe() {
        String source = "public class Probe { public static void main(String[] a) { System.out.println(\"ok\"); } }\n";
        return new SandboxJob(Map.of("Probe.java", source), command("Probe.java"), "", List.of(javaHome), Map.of());
    }

    @Override
    public boolean compileFailed(String output) {
        return output.contains("error: compilation failed");
    }

    /** {@code assert x == 1;} becomes {@code x == 1}. */
    static String expression(String test) {
        String t = test.strip();
        if (t.startsWith("assert ") || t.startsWith("assert(")) {
            t = t.substring("assert".length()).strip();
        }
        while (t.endsWith(";")) {
            t = t.substring(0, t.length() - 1).strip();
        }
        return t;
    }

    private List<String> command(String sourceFile) {
        List<String> command = new ArrayList<>();
        command.add(javaHome.resolve("bin/java").toString());
        command.addAll(jvmOptions);
        command.add(sourceFile);
        return command;
    }

    private static String loadTemplate() {
        try (InputStream in = JavaHarness.class.getResourceAsStream("JavaHarness.java.template")) {
            if (in == null) {
                throw new IllegalStateException("JavaHarness.java.template is missing from the reward jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
