package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.align4j.dpo.DpoConfig;
import org.align4j.dpo.kto.KtoConfig;
import org.align4j.dpo.orpo.OrpoConfig;
import org.align4j.dpo.simpo.SimpoConfig;
import org.align4j.grpo.GrpoConfig;
import org.align4j.policy.train.ConfigLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The trainers' example configs bind to their config classes and pass validation (keys, names, ranges). */
class ExampleConfigsTest {

    private static Path config(String name) {
        for (Path p : new Path[] {Paths.get("../examples/configs", name), Paths.get("examples/configs", name)}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("examples/configs/" + name + " not found");
    }

    @ParameterizedTest
    @CsvSource({"dpo.yaml,dpo", "kto.yaml,kto", "orpo.yaml,orpo", "simpo.yaml,simpo", "grpo-math.yaml,grpo",
            "grpo-code.yaml,grpo", "grpo-process.yaml,grpo", "grpo-dapo.yaml,grpo",
            "grpo-qwen2.5-1.5b-gpu.yaml,grpo"})
    void loads(String file, String trainer) {
        Class<?> type = switch (trainer) {
            case "dpo" -> DpoConfig.class;
            case "kto" -> KtoConfig.class;
            case "orpo" -> OrpoConfig.class;
            case "simpo" -> SimpoConfig.class;
            default -> GrpoConfig.class;
        };
        Object c = ConfigLoader.load(config(file), type);
        assertEquals(type, c.getClass());
    }
}
