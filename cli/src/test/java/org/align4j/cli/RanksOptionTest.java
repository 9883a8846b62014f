package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --ranks and --master on a build without the distributed module (cli's own classpath, as the plain launcher jar):
 * one line saying how to build the jar that has it, and nothing written.
 */
class RanksOptionTest {

    @Test
    void withoutTheDistributedModuleRanksSayHowToBuildIt(@TempDir Path dir) throws Exception {
        Path yaml = Files.writeString(dir.resolve("sft.yaml"), "output_dir: " + dir.resolve("run") + "\n");
        for (String trainer : new String[] {"sft", "dpo", "grpo"}) {
            CliRun r = CliRun.of(trainer, "--config", yaml.toString(), "--ranks", "2");
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("mvn -Pdistributed -DskipTests package"), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertFalse(Files.exists(dir.resolve("run")));
    }
}
