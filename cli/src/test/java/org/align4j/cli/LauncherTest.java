package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's build step as a user sees it: Maven 3.8 writes colour resets (ESC[0m) even with -q -B, which
 * the launcher strips. A stand-in mvn on the PATH prints what the real one prints and "builds" the jar.
 */
class LauncherTest {

    private record Launch(int exit, String out, String err) {
    }

    /**
     * Runs root's copy of the launcher with args, root/bin (the stand-in mvn) first on the PATH, then this JDK, and
     * no ALIGN4J_JAR, so that the launcher builds its jar.
     */
    private static Launch launch(Path root, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("align4j").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        String jdkBin = Paths.get(System.getProperty("java.home"), "bin").toString();
        pb.environment().put("PATH", root.resolve("bin") + File.pathSeparator + jdkBin + File.pathSeparator
                + pb.environment().get("PATH"));
        pb.environment().remove("ALIGN4J_JAR");
        Path err = root.resolve("stderr.txt");
        Process p = pb.redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        return new Launch(exit, out, Files.readString(err));
    }

    @Test
    void theBuildPrintsNoEscapeCodesAndTheJarThenRuns(@TempDir Path root) throws Exception {
        Files.copy(Paths.get("../align4j"), root.resolve("align4j"));
        Path built = PathingJar.write(root.resolve("prepared.jar"));
        Files.createDirectories(root.resolve("bin"));
        Path mvn = Files.writeString(root.resolve("bin/mvn"), "#!/usr/bin/env bash\n"
                + "printf '\\033[0m\\033[0m'\n"
                + "printf '\\033[0m\\033[0m' >&2\n"
                + "mkdir -p cli/target && cp prepared.jar cli/target/align4j.jar\n");
        mvn.toFile().setExecutable(true);
        Files.createDirectories(root.resolve("cli/src/main/java"));
        Files.writeString(root.resolve("cli/src/main/java/Changed.java"), "class Changed {}\n");

        Launch run = launch(root, "--version");
        assertEquals(0, run.exit(), run.err());
        String out = run.out();
        String stderr = run.err();
        assertTrue(stderr.contains("align4j: building"), stderr);
        assertFalse(stderr.contains("\u001b") || out.contains("\u001b"), "escape codes: " + stderr.replace("\u001b", "ESC"));
        assertEquals("align4j " + VersionProvider.version(), out.strip());
    }

    @Test
    void ranksRunTheJarBuiltWithTheDistributedModule(@TempDir Path root) throws Exception {
        Files.copy(Paths.get("../align4j"), root.resolve("align4j"));
        PathingJar.write(root.resolve("prepared.jar"));
        Files.createDirectories(root.resolve("bin"));
        // the stand-in build makes only the jar its profile names, and records its arguments
        Path mvn = Files.writeString(root.resolve("bin/mvn"), "#!/usr/bin/env bash\n"
                + "echo \"$*\" >> mvn-args.txt\n"
                + "mkdir -p cli/target\n"
                + "if [[ \"$*\" == *-Pdistributed* ]]; then cp prepared.jar cli/target/align4j-distributed.jar; "
                + "else cp prepared.jar cli/target/align4j.jar; fi\n");
        mvn.toFile().setExecutable(true);

        Launch run = launch(root, "sft", "--help", "--ranks", "2");
        assertEquals(0, run.exit(), run.err());
        String out = run.out();
        assertTrue(out.contains("--ranks=N"), out);
        assertTrue(Files.readString(root.resolve("mvn-args.txt")).contains("-Pdistributed"));
        assertTrue(Files.exists(root.resolve("cli/target/align4j-distributed.jar")));
        assertFalse(Files.exists(root.resolve("cli/target/align4j.jar")), "the plain jar is not built for --ranks");

        // a trainer that is not data-parallel refuses --ranks from the plain jar: Spark is not built for it
        Launch kto = launch(root, "kto", "--config", "kto.yaml", "--ranks", "2");
        assertEquals(2, kto.exit(), kto.err());
        assertTrue(kto.err().contains("kto trains on one rank"), kto.err());
        List<String> builds = Files.readAllLines(root.resolve("mvn-args.txt"));
        assertEquals(2, builds.size(), builds.toString());
        assertFalse(builds.get(1).contains("-Pdistributed"), builds.toString());
        assertTrue(Files.exists(root.resolve("cli/target/align4j.jar")));
    }
}
