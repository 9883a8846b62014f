package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.MlaConfig;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.MoeConfig;
import org.align4j.policy.model.TokenBatch;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The sampler's router record on a tiny DeepSeek-V3 model (float64, so decoding and teacher forcing route alike):
 * each completion token carries the experts that routed the position predicting it, the same ones a teacher-forced
 * pass chooses there; dense models record nothing.
 */
class RouterRecordTest {

    static ModelConfig tinyDeepSeek() {
        MlaConfig mla = new MlaConfig(8, 8, 8, 4, 8, true, false);
        MoeConfig moe = new MoeConfig(1, 1, 8, 2, 16, 1, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 4, 2, true, 1.0);
        return new ModelConfig(ModelConfig.DEEPSEEK_V3, 96, 16, 32, 3, 2, 2, 4, 64, 1e-6, 10000.0, false, false,
                null, new int[] {2}, mla, moe, 0);
    }

    @Test
    void completionsCarryTheExpertsThatPredictedEachToken() {
        CausalLM m = CausalLM.initialize(tinyDeepSeek(), DataType.DOUBLE, 4);
        Sampler sampler = new Sampler(m, null, new int[] {10, 11, 12}, 64);
        List<CompletionGroup> groups = sampler.sample(TestModels.prompts(96, 3, 9), 3,
                SamplingParams.DEFAULTS.withMaxCompletionLength(12).withSeed(2), 0, SamplingProgress.NONE);
        int k = 2;
        for (CompletionGroup g : groups) {
            int[] prompt = g.prompt().ids();
            for (Completion c : g.completions()) {
                int[][] rec = c.expertChoices();
                assertEquals(c.length(), rec.length);
                int[] seq = new int[prompt.length + c.length()];
                System.arraycopy(prompt, 0, seq, 0, prompt.length);
                System.arraycopy(c.ids(), 0, seq, prompt.length, c.length());
                m.setRecordingExpertChoices(true);
                TokenBatch b = TokenBatch.of(seq);
                m.forward(b);
                int[][] choices = m.lastExpertChoices();
                m.setRecordingExpertChoices(false);
                assertEquals(2, choices.length, "layers 1 and 2 are MoE layers");
                for (int t = 0; t < c.length(); t++) {
                    int row = prompt.length - 1 + t;
                    for (int l = 0; l < 2; l++) {
                        int[] want = java.util.Arrays.copyOfRange(choices[l], row * k, row * k + k);
                        int[] got = java.util.Arrays.copyOfRange(rec[t], l * k, l * k + k);
                        assertArrayEquals(want, got, "token " + t + " layer " + l);
                    }
                }
            }
        }
    }

    @Test
    void denseModelsRecordNothing() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 3);
        List<CompletionGroup> groups = new Sampler(m, null, 64).sample(TestModels.prompts(96, 4), 2,
                SamplingParams.greedy(5));
        assertNull(groups.get(0).get(0).expertChoices());
    }
}
