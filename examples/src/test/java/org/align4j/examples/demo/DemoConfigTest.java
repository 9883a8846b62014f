package org.align4j.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

class DemoConfigTest {

    @Test
    void quickPresetIsValidAndUserSettingsComeAfterIt() {
        List<String> settings = new ArrayList<>(DemoConfig.QUICK);
        settings.add("grpo_steps=3");
        DemoConfig c = ConfigLoader.load(null, DemoConfig.class, settings);
        assertEquals(3, c.grpoSteps);
        assertTrue(c.trainProblems < new DemoConfig().trainProblems);
    }

    @Test
    void badSettingsNameTheKey() {
        BadInputException unknown = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, DemoConfig.class, List.of("grpo_stepz=3")));
        assertTrue(unknown.getMessage().contains("grpo_stepz"), unknown.getMessage());
        BadInputException samples = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, DemoConfig.class, List.of("k=8", "eval_samples=4")));
        assertTrue(samples.getMessage().contains("eval_samples"), samples.getMessage());
        BadInputException supervision = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, DemoConfig.class, List.of("supervision=both")));
        assertTrue(supervision.getMessage().contains("supervision"), supervision.getMessage());
        BadInputException terse = assertThrows(BadInputException.class,
                () -> ConfigLoader.load(null, DemoConfig.class, List.of("terse_share=1")));
        assertTrue(terse.getMessage().contains("terse_share"), terse.getMessage());
    }
}
