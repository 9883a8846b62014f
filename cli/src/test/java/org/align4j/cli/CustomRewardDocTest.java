package org.align4j.cli;

import org.align4j.policy.testing.TestFixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * docs/custom-rewards.md as a user follows it: its Java class, its compile commands and its config, taken from
 * the page's code blocks, run through the launcher script itself (a copy of ./align4j, so that plugins/ is the
 * one beside it) on a tiny model in place of the demo's. The launcher runs the test's classes through
 * ALIGN4J_JAR, a jar whose manifest lists this JVM's classpath, and javac compiles against that jar as the
 * page's command compiles against cli/target/align4j.jar.
 */
class CustomRewardDocTest {

    private static final Pattern FENCE = Pattern.compile("```(\\w+)\\n(.*?)```", Pattern.DOTALL);

    static Path repoFile(String name) {
        for (Path p : new Path[] {Paths.get("..", name), Paths.get(name)}) {
            if (Files.exists(p)) {
                return p;
            }
        }
        throw new IllegalStateException(name + " not found");
    }

    /**
     * What the page assumes is in place: a copy of the launcher script, a tiny model saved where the demo's SFT
     * leaves its own ({@code runs/demo/sft/final}) and the demo's {@code train.jsonl}. Returns the model folder.
     */
    static Path demoWorkspace(Path root) throws IOException {
        Files.copy(repoFile("align4j"), root.resolve("align4j"));
        root.resolve("align4j").toFile().setExecutable(true);
        Path model = root.resolve("runs/demo/sft/final");
        HfCheckpoint.save(CausalLM.initialize(ModelConfig.llama(266, 16, 32, 1, 2, 2, 512, 1, new int[] {2}),
                DataType.FLOAT, 3), model, TestFixtures.tinyTokenizer());
        Files.writeString(root.resolve("runs/demo/train.jsonl"), """
                {"prompt": "What is 2 + 3?", "answer": "5"}
                {"prompt": "What is 4 * 2?", "answer": "8"}
                """);
        return model;
    }

    /**
     * The launcher's environment: ALIGN4J_JAR names a pathing jar of this JVM's classpath. Call it after
     * writing the page's .java files: the launcher rebuilds a jar older than a .java file beside it.
     */
    static Map<String, String> launcherEnv(Path root) throws IOException {
        Path appJar = PathingJar.write(root.resolve("cli/target/align4j.jar"));
        return Map.of("ALIGN4J_JAR", appJar.toString(), "ALIGN4J_JAVA_OPTS", "-Xmx1g", "OMP_NUM_THREADS", "1");
    }

    /** The page's fenced blocks of one language, in order. */
    static List<String> blocks(String doc, String language) {
        List<String> out = new ArrayList<>();
        Matcher m = FENCE.matcher(doc);
        while (m.find()) {
            if (m.group(1).equals(language)) {
                out.add(m.group(2));
            }
        }
        return out;
    }

    @Test
    void thePagesRewardCompilesLoadsFromPluginsOrAlign4jClasspathAndIsScored(@TempDir Path root) throws Exception {
        String doc = Files.readString(repoFile("docs/custom-rewards.md"));
        List<String> java = blocks(doc, "java");
        List<String> bash = blocks(doc, "bash");
        List<String> yaml = blocks(doc, "yaml");
        assertEquals(1, java.size());
        assertEquals(2, bash.size());
        assertEquals(1, yaml.size());

        Files.writeString(root.resolve("LengthReward.java"), java.get(0));
        Files.writeString(root.resolve("my-grpo.yaml"), yaml.get(0));
        demoWorkspace(root);
        Map<String, String> env = launcherEnv(root);
        Run compile = bash(root, bash.get(0), env);
        assertEquals(0, compile.exit, compile.output);
        assertTrue(Files.isRegularFile(root.resolve("plugins/length-reward.jar")), compile.output);

        String runLine = bash.get(1).strip();
        assertEquals("./align4j grpo --config my-grpo.yaml", runLine);
        String small = " --set max_steps=1 --set max_completion_length=8";
        Run viaPlugins = bash(root, runLine + small, env);
        assertEquals(0, viaPlugins.exit, viaPlugins.output);
        String metrics = Files.readString(root.resolve("runs/grpo-length/metrics.jsonl"));
        assertTrue(metrics.contains("\"rewards/length/mean\""), metrics);
        assertTrue(metrics.contains("\"rewards/math_answer/mean\""), metrics);

        // without the plugin the class is missing, and ALIGN4J_CLASSPATH brings it back
        Files.delete(root.resolve("plugins/length-reward.jar"));
        Run missing = bash(root, runLine + small + " --set output_dir=runs/missing", env);
        assertEquals(2, missing.exit, missing.output);
        assertTrue(missing.output.contains("reward class 'com.example.LengthReward' not found on the classpath"),
                missing.output);
        Run viaVariable = bash(root, "ALIGN4J_CLASSPATH=my-rewards " + runLine + small
                + " --set output_dir=runs/variable", env);
        assertEquals(0, viaVariable.exit, viaVariable.output);
        assertTrue(Files.readString(root.resolve("runs/variable/metrics.jsonl")).contains("\"rewards/length/mean\""));
    }

    @Test
    void theReadmeShowsThePagesClassCommandsAndRewardEntry() throws Exception {
        String doc = Files.readString(repoFile("docs/custom-rewards.md"));
        String readme = Files.readString(repoFile("README.md"));
        assertTrue(readme.contains("```java\n" + blocks(doc, "java").get(0) + "```"), "README's class differs");
        List<String> bash = blocks(doc, "bash");
        assertTrue(readme.contains("```bash\n" + bash.get(0) + bash.get(1) + "```"), "README's commands differ");
        String entry = blocks(doc, "yaml").get(0).lines().filter(l -> l.contains("com.example.LengthReward"))
                .findFirst().orElseThrow().strip();
        assertTrue(readme.contains("`" + entry + "`"), entry);
    }

    record Run(int exit, String output) {
    }

    static Run bash(Path dir, String script, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        // javac, jar and java of the JDK running the tests
        String jdkBin = Paths.get(System.getProperty("java.home"), "bin").toString();
        pb.environment().put("PATH", jdkBin + File.pathSeparator + pb.environment().get("PATH"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), output);
    }
}
