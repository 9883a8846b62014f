package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void trainersThatAreNotDataParallelRefuseRanksInOneLine(@TempDir Path dir) throws Exception {
        Path yaml = Files.writeString(dir.resolve("c.yaml"), "output_dir: " + dir.resolve("run") + "\n");
        String[][] commands = {{"kto"}, {"orpo"}, {"simpo"}, {"rm", "train"}};
        for (String[] command : commands) {
            for (String[] option : new String[][] {{"--ranks", "2"}, {"--master", "local[2]"}}) {
                List<String> args = new ArrayList<>(List.of(command));
                args.addAll(List.of("--config", yaml.toString(), option[0], option[1]));
                CliRun r = CliRun.of(args.toArray(String[]::new));
                assertEquals(2, r.exit(), r.err());
                String name = String.join(" ", command);
                assertEquals("align4j " + name + ": error: " + name + " trains on one rank: --ranks and --master "
                        + "(data-parallel training) are for sft, dpo and grpo (docs/distributed.md)", r.err().strip());
            }
        }
        // one rank is the default
        CliRun one = CliRun.of("kto", "--config", yaml.toString(), "--ranks", "1");
        assertFalse(one.err().contains("trains on one rank"), one.err());
        assertFalse(Files.exists(dir.resolve("run").resolve("metrics.jsonl")));
    }
}
