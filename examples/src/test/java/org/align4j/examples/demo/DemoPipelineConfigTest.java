package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

/** Both demo tasks read the shared pipeline keys alike, each with its own defaults and its own keys. */
class DemoPipelineConfigTest {

    private static final List<String> SHARED = List.of("seed=7", "vocab_size=400", "hidden_size=32",
            "intermediate_size=88", "num_hidden_layers=1", "num_attention_heads=2", "num_key_value_heads=1",
            "max_position_embeddings=96", "sft_steps=5", "sft_batch_size=4", "sft_learning_rate=0.001",
            "grpo_steps=2", "grpo_prompts_per_step=3", "num_generations=2", "grpo_learning_rate=0.0001", "beta=0",
            "grpo_temperature=0.9", "max_completion_length=40", "k=2", "eval_samples=3", "eval_temperature=0.5");

    @Test
    void bothTasksParseTheSharedKeysTheSameWay() {
        DemoPipelineConfig math = ConfigLoader.load(null, DemoConfig.class, SHARED);
        DemoPipelineConfig code = ConfigLoader.load(null, CodeDemoConfig.class, SHARED);
        for (DemoPipelineConfig c : List.of(math, code)) {
            assertEquals(7, c.seed);
            assertEquals(400, c.vocabSize);
            assertEquals(32, c.hiddenSize);
            assertEquals(88, c.intermediateSize);
            assertEquals(1, c.numHiddenLayers);
            assertEquals(2, c.numAttentionHeads);
            assertEquals(1, c.numKeyValueHeads);
            assertEquals(96, c.maxPositionEmbeddings);
            assertEquals(5, c.sftSteps);
            assertEquals(4, c.sftBatchSize);
            assertEquals(1e-3, c.sftLearningRate);
            assertEquals(2, c.grpoSteps);
            assertEquals(3, c.grpoPromptsPerStep);
            assertEquals(2, c.numGenerations);
            assertEquals(1e-4, c.grpoLearningRate);
            assertEquals(0, c.beta);
            assertEquals(0.9, c.grpoTemperature);
            assertEquals(40, c.maxCompletionLength);
            assertEquals(2, c.k);
            assertEquals(3, c.evalSamples);
            assertEquals(0.5, c.evalTemperature);
        }
        BadInputException samples = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, CodeDemoConfig.class, List.of("k=8", "eval_samples=4")));
        assertTrue(samples.getMessage().contains("eval_samples"), samples.getMessage());
    }

    @Test
    void eachTaskKeepsItsDefaultsAndItsOwnKeys() {
        DemoConfig math = new DemoConfig();
        CodeDemoConfig code = new CodeDemoConfig();
        assertEquals(List.of(256, 3200L, 100L, 3e-5, 16),
                List.of(math.maxPositionEmbeddings, math.sftSteps, math.grpoSteps, math.grpoLearningRate, math.evalSamples));
        assertEquals(List.of(128, 1000L, 40L, 5e-5, 8),
                List.of(code.maxPositionEmbeddings, code.sftSteps, code.grpoSteps, code.grpoLearningRate, code.evalSamples));
        BadInputException mathKey = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, CodeDemoConfig.class, List.of("terse_share=0.2")));
        assertTrue(mathKey.getMessage().contains("terse_share"), mathKey.getMessage());
        BadInputException codeKey = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, DemoConfig.class, List.of("shortcut_share=0.2")));
        assertTrue(codeKey.getMessage().contains("shortcut_share"), codeKey.getMessage());
        BadInputException share = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, CodeDemoConfig.class, List.of("shortcut_share=1")));
        assertTrue(share.getMessage().contains("shortcut_share must be in [0, 1)"), share.getMessage());
    }
}
