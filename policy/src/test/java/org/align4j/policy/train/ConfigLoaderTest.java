package org.align4j.policy.train;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {

    @TempDir
    Path tmp;

    /** A trainer config with a nested section, as the GRPO/DPO configs will have. */
    public static class TestConfig extends TrainingConfig {
        public Generation generation = new Generation();
        public List<String> rewardFuncs = List.of("accuracy");
    }

    public static class Generation {
        public double temperature = 1.0;
        public int maxNewTokens = 64;
    }

    private Path write(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void bindsSnakeCaseYamlWithDefaultsForMissingKeys() throws Exception {
        Path f = write("c.yaml", "learning_rate: 1e-5\nnum_train_epochs: 2\nbatch_size: 4\nlr_scheduler_type: cosine\n"
                + "generation:\n  temperature: 0.7\nreward_funcs: [accuracy, format]\n");
        TestConfig c = ConfigLoader.load(f, TestConfig.class);
        assertEquals(1e-5, c.learningRate);
        assertEquals(2.0, c.numTrainEpochs);
        assertEquals(4, c.batchSize);
        assertEquals("cosine", c.lrSchedulerType);
        assertEquals(0.7, c.generation.temperature);
        assertEquals(64, c.generation.maxNewTokens);
        assertEquals(List.of("accuracy", "format"), c.rewardFuncs);
        assertEquals(42, c.seed);
    }

    @Test
    void readsJsonToo() throws Exception {
        Path f = write("c.json", "{\"max_steps\": 30, \"generation\": {\"max_new_tokens\": 8}}");
        TestConfig c = ConfigLoader.load(f, TestConfig.class);
        assertEquals(30, c.maxSteps);
        assertEquals(8, c.generation.maxNewTokens);
    }

    @Test
    void appliesSetOverridesBeforeBinding() throws Exception {
        Path f = write("c.yaml", "learning_rate: 1e-5\ngeneration:\n  temperature: 0.7\n");
        TestConfig c = ConfigLoader.load(f, TestConfig.class,
                List.of("learning_rate=3e-4", "generation.max_new_tokens=16", "lr_scheduler_type=multi_step", "output_dir=/x/y"));
        assertEquals(3e-4, c.learningRate);
        assertEquals(0.7, c.generation.temperature);
        assertEquals(16, c.generation.maxNewTokens);
        assertEquals("multi_step", c.lrSchedulerType);
        assertEquals("/x/y", c.outputDir);
        TestConfig d = ConfigLoader.load(null, TestConfig.class,
                List.of("batch_size=2", "output_dir=runs/a: b", "reward_funcs=[format, length]"));
        assertEquals(2, d.batchSize);
        assertEquals("runs/a: b", d.outputDir, "a value that looks like a mapping stays a string");
        assertEquals(List.of("format", "length"), d.rewardFuncs);
    }

    @Test
    void refusesUnknownKeysListingTheKnownOnes() throws Exception {
        Path f = write("c.yaml", "lerning_rate: 1e-5\n");
        BadInputException e = assertThrows(BadInputException.class, () -> ConfigLoader.load(f, TestConfig.class));
        assertTrue(e.getMessage().startsWith(f + ": unknown key 'lerning_rate' (known: adam_beta1, adam_beta2, "), e.getMessage());
        assertTrue(e.getMessage().contains("learning_rate") && e.getMessage().endsWith("warmup_steps, weight_decay, zero_stage)"), e.getMessage());

        Path nested = write("n.yaml", "generation:\n  temprature: 0.5\n");
        assertEquals(nested + ": unknown key 'generation.temprature' (known: max_new_tokens, temperature)",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(nested, TestConfig.class)).getMessage());

        BadInputException o = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(f, TestConfig.class, List.of("generation.top_k=5")));
        assertTrue(o.getMessage().startsWith(f + ": unknown key 'lerning_rate'"), "the file's error comes first");
        Path ok = write("ok.yaml", "seed: 1\n");
        assertEquals("--set generation.top_k=5: unknown key 'generation.top_k' (known: max_new_tokens, temperature)",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(ok, TestConfig.class, List.of("generation.top_k=5"))).getMessage());
    }

    @Test
    void refusesWrongTypesNamingKeyAndSource() throws Exception {
        Path f = write("c.yaml", "batch_size: many\n");
        assertEquals(f + ": key 'batch_size': expected an integer, got 'many'",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(f, TestConfig.class)).getMessage());
        Path g = write("g.yaml", "batch_size: 2.5\n");
        assertEquals(g + ": key 'batch_size': expected an integer, got 2.5",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(g, TestConfig.class)).getMessage());
        Path h = write("h.yaml", "generation: 3\n");
        assertEquals(h + ": key 'generation': expected a mapping (Generation), got 3",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(h, TestConfig.class)).getMessage());
        Path ok = write("ok.yaml", "seed: 1\n");
        assertEquals("--set learning_rate=fast: key 'learning_rate': expected a number, got 'fast'",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(ok, TestConfig.class, List.of("learning_rate=fast"))).getMessage());
        assertEquals("--set seed.x=1: 'seed' is not a mapping",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(ok, TestConfig.class, List.of("seed.x=1"))).getMessage());
        assertEquals("--set seed: expected key=value",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(ok, TestConfig.class, List.of("seed"))).getMessage());
    }

    @Test
    void reportsSyntaxErrorsWithTheLineAndRangeErrorsWithTheKey() throws Exception {
        Path f = write("bad.yaml", "seed: 1\nbatch_size: [1,\n");
        String msg = assertThrows(BadInputException.class, () -> ConfigLoader.load(f, TestConfig.class)).getMessage();
        assertTrue(msg.startsWith(f + ":2: not valid YAML: while parsing a flow node"), msg);
        assertFalse(msg.contains("\n"), msg);
        Path r = write("r.yaml", "batch_size: 0\n");
        assertEquals(r + ": batch_size must be at least 1, got 0",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(r, TestConfig.class)).getMessage());
        assertEquals(r + " with --set lr_scheduler_type=cosin --set batch_size=1: unknown lr_scheduler_type 'cosin' (known: constant, linear, cosine, multi_step)",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(r, TestConfig.class,
                        List.of("lr_scheduler_type=cosin", "batch_size=1"))).getMessage());
        assertEquals(tmp.resolve("none.yaml") + ": no such file",
                assertThrows(BadInputException.class, () -> ConfigLoader.load(tmp.resolve("none.yaml"), TestConfig.class)).getMessage());
    }

    @Test
    void dumpsYamlThatLoadsBackEqual() throws Exception {
        TestConfig c = ConfigLoader.load(null, TestConfig.class, List.of("learning_rate=2e-6", "generation.temperature=0.9"));
        String yaml = ConfigLoader.dump(c);
        assertTrue(yaml.contains("learning_rate: 2.0E-6"), yaml);
        assertTrue(yaml.contains("generation:\n  temperature: 0.9"), yaml);
        assertFalse(yaml.startsWith("---"));
        TestConfig back = ConfigLoader.load(write("dump.yaml", yaml), TestConfig.class);
        assertEquals(yaml, ConfigLoader.dump(back));
        assertEquals(2e-6, back.learningRate);
    }

    @Test
    void derivesStepsAndScheduleLikeTransformers() {
        TrainingConfig c = new TrainingConfig();
        c.numTrainEpochs = 1.5;
        c.warmupRatio = 0.1;
        c.lrSchedulerType = "cosine";
        assertEquals(15, c.totalSteps(10));
        LrSchedule s = c.schedule(15);
        assertEquals(2, s.warmupSteps());
        assertEquals(c.learningRate, s.lr(2));
        c.maxSteps = 7;
        assertEquals(7, c.totalSteps(10));
    }
}
