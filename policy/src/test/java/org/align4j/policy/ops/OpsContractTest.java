package org.align4j.policy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.ops.cuda.CudaOps;
import org.junit.jupiter.api.Test;

/**
 * The backend contract, checked without a GPU: every operation of {@link Ops} is implemented by each backend
 * (none falls back to another through an interface default), the profiler sees every call, and the GPU tests
 * (Cuda*Test) exercise every operation against the CPU backend, so that a new op without a GPU test fails here. Host
 * writes go through {@link Ops#editOnHost} only: no caller can declare an array host-written by hand.
 */
class OpsContractTest {
    /** Interface defaults that are bookkeeping, scheduling or settings, not operations: they may be inherited. */
    private static final Set<String> BOOKKEEPING = Set.of("reuseCaches", "toHost", "editOnHost", "name",
            "decodeParts", "inParts", "useBf16Products", "waitAfterEachOp");

    /** The GPU test classes of the backend: Cuda*Test in this folder. */
    private static final Path GPU_TESTS = Path.of("src/test/java/org/align4j/policy/ops/cuda");
    /** The DeepSeekMoE ops' GPU test (moe.cu), beside the backend's. */
    private static final Path MOE_GPU_TEST = Path.of("src/test/java/org/align4j/policy/model/CudaMoeTest.java");

    private static List<Method> interfaceMethods() {
        List<Method> out = new ArrayList<>();
        for (Method m : Ops.class.getDeclaredMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && !m.isSynthetic()) {
                out.add(m);
            }
        }
        return out;
    }

    private static Set<String> operations() {
        Set<String> ops = new TreeSet<>();
        for (Method m : interfaceMethods()) {
            if (!BOOKKEEPING.contains(m.getName())) {
                ops.add(m.getName());
            }
        }
        return ops;
    }

    @Test
    void noOperationHasADefaultThatSilentlyRunsElsewhere() {
        Set<String> defaults = new TreeSet<>();
        for (Method m : interfaceMethods()) {
            if (m.isDefault()) {
                defaults.add(m.getName());
            }
        }
        assertEquals(new TreeSet<>(BOOKKEEPING), defaults,
                "Ops defaults other than the bookkeeping ones: implement a new op in every backend instead");
    }

    @Test
    void everyBackendImplementsEveryOperationItselfAndTheProfilerSeesEveryCall() throws Exception {
        for (Class<?> backend : List.of(CpuOps.class, CudaOps.class, ProfilingOps.class)) {
            for (Method m : interfaceMethods()) {
                boolean mustDeclare = !BOOKKEEPING.contains(m.getName()) || backend == ProfilingOps.class;
                if (mustDeclare) {
                    // throws NoSuchMethodException, naming the method, when the backend inherits it
                    Method impl = backend.getDeclaredMethod(m.getName(), m.getParameterTypes());
                    assertTrue(Modifier.isPublic(impl.getModifiers()), backend.getSimpleName() + "." + m.getName());
                }
            }
        }
    }

    @Test
    void theGpuTestExercisesEveryOperation() throws IOException {
        Set<String> called = new TreeSet<>();
        for (Path f : sources(GPU_TESTS, "Cuda")) {
            if (f.getFileName().toString().endsWith("Test.java")) {
                Matcher m = Pattern.compile("\\.(\\w+)\\(").matcher(Files.readString(f));
                while (m.find()) {
                    called.add(m.group(1));
                }
            }
        }
        Matcher moe = Pattern.compile("\\.(\\w+)\\(").matcher(Files.readString(MOE_GPU_TEST));
        while (moe.find()) {
            called.add(moe.group(1));
        }
        Set<String> missing = new TreeSet<>(operations());
        missing.removeAll(called);
        assertTrue(missing.isEmpty(), "ops without a GPU test in " + GPU_TESTS + "/Cuda*Test.java or " + MOE_GPU_TEST
                + ": " + missing);
        assertTrue(operations().contains("latentDecodeAttention") && operations().size() >= 30,
                "the reflection found the operations: " + operations());
    }

    @Test
    void hostWritesCanOnlyGoThroughTheBackend() throws IOException {
        for (Class<?> c : List.of(Ops.class, CpuOps.class, CudaOps.class, ProfilingOps.class, CausalLM.class)) {
            for (Method m : c.getMethods()) {
                assertFalse(m.getName().equals("hostWritten") || m.getName().endsWith("WrittenOnHost"),
                        c.getSimpleName() + "." + m.getName() + " lets a caller mark host writes by hand");
            }
        }
        // and no source outside the backends calls such a method (in every module of the build)
        Path root = Path.of("..").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(root.resolve("policy/pom.xml")), "run from the policy module: " + root);
        Path backends = root.resolve("policy/src/main/java/org/align4j/policy/ops");
        Pattern call = Pattern.compile("\\.(hostWritten|\\w*WrittenOnHost)\\(");
        List<String> offenders = new ArrayList<>();
        for (Path f : sources(root, "/src/")) {
            if (!f.startsWith(backends) && call.matcher(Files.readString(f)).find()) {
                offenders.add(root.relativize(f).toString());
            }
        }
        assertTrue(offenders.isEmpty(), "host writes marked by hand (use Ops.editOnHost or CausalLM.editWeights): "
                + offenders);
    }

    /**
     * Models get their backend when they are made: nothing in the model package reads the global choice, and
     * every model made by main code (the CLI, trainers, examples) is given one, typically Backends.current() (the
     * overloads without a backend mean the CPU, for tests and tools).
     */
    @Test
    void modelsAreGivenTheirBackend() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path model = root.resolve("policy/src/main/java/org/align4j/policy/model");
        List<String> offenders = new ArrayList<>();
        for (Path f : sources(model, "")) {
            String src = Files.readString(f);
            if (src.contains("Backends.") || src.contains("Ops.current(")) {
                offenders.add(root.relativize(f) + " reads the global backend");
            }
        }
        Pattern factory = Pattern.compile("\\b(HfCheckpoint\\.load|CausalLM\\.initialize|CausalLM\\.fromWeights"
                + "|RewardModel\\.load|PeftAdapter\\.loadModel)\\(");
        for (Path f : sources(root, "/src/main/")) {
            if (f.startsWith(model)) {
                continue;
            }
            String src = Files.readString(f);
            Matcher m = factory.matcher(src);
            while (m.find()) {
                String last = lastArgument(src, m.end());
                if (!last.toLowerCase(java.util.Locale.ROOT).matches("(?s).*\\b(\\w*ops|backends)\\b.*")) {
                    offenders.add(root.relativize(f) + ": " + m.group(1) + "(... " + last + ") runs on the CPU");
                }
            }
        }
        assertTrue(offenders.isEmpty(), String.join("\n", offenders));
    }

    /** The last top-level argument of the call whose argument list starts at from (just after its '('). */
    private static String lastArgument(String src, int from) {
        int depth = 0;
        int start = from;
        for (int i = from; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            } else if (c == ')') {
                return src.substring(start, i).trim();
            } else if (c == ',' && depth == 0) {
                start = i + 1;
            }
        }
        return src.substring(start).trim();
    }

    /** .java files under dir whose path contains part. */
    private static List<Path> sources(Path dir, String part) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java") && p.toString().contains(part)).toList();
        }
    }
}
