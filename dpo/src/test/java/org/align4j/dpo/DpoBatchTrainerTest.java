package org.align4j.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.train.Optimization;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class DpoBatchTrainerTest {

    static CausalLM tinyModel() {
        ModelConfig c = ModelConfig.llama(SyntheticPreferences.VOCAB, 32, 64, 2, 4, 2, 16, SyntheticPreferences.BOS,
                new int[] {SyntheticPreferences.EOS});
        return CausalLM.initialize(c, DataType.FLOAT, 1);
    }

    static DpoConfig config() {
        DpoConfig c = new DpoConfig();
        c.batchSize = 16;
        c.gradientAccumulationSteps = 2;
        c.weightDecay = 0;
        c.learningRate = 2e-2;
        c.lrSchedulerType = "constant";
        return c;
    }

    @Test
    void rewardAccuracyAndMarginRiseOnASyntheticPreferenceSet() {
        List<PreferencePair> train = SyntheticPreferences.generate(256, 7);
        List<PreferencePair> eval = SyntheticPreferences.generate(64, 8);
        CausalLM policy = tinyModel();
        DpoConfig config = config();
        config.precomputeRefLogProbs = true;
        train = ReferenceLogProbs.precompute(policy, train, 32, false, null);
        eval = ReferenceLogProbs.precompute(policy, eval, 32, false, null);
        int steps = 16;
        DpoBatchTrainer trainer = new DpoBatchTrainer(config, policy, ReferenceLogProbs.precomputed(), steps);

        DpoMetrics before = new DpoMetrics();
        trainer.evaluate(eval, before);
        assertEquals(Math.log(2), before.loss(), 1e-6, "policy equals reference at the start");
        assertEquals(0.0, before.margin(), 1e-6);

        int stepPairs = config.batchSize * config.gradientAccumulationSteps;
        DpoMetrics firstSteps = new DpoMetrics();
        DpoMetrics lastSteps = new DpoMetrics();
        for (int s = 0; s < steps; s++) {
            int from = (s * stepPairs) % train.size();
            Optimization.StepResult r = trainer.step(train.subList(from, from + stepPairs), s,
                    s < 4 ? firstSteps : s >= steps - 4 ? lastSteps : new DpoMetrics());
            assertTrue(!r.skipped() && r.gradNorm() > 0);
        }
        DpoMetrics after = new DpoMetrics();
        trainer.evaluate(eval, after);
        System.out.printf("synthetic DPO: eval loss %.4f -> %.4f, accuracy %.3f -> %.3f, margin %.4f -> %.4f;"
                        + " train margin first 4 steps %.4f, last 4 %.4f%n", before.loss(), after.loss(),
                before.accuracy(), after.accuracy(), before.margin(), after.margin(), firstSteps.margin(),
                lastSteps.margin());
        assertTrue(after.accuracy() > 0.8, "eval reward accuracy " + after.accuracy());
        assertTrue(after.margin() > 0.3, "eval margin " + after.margin());
        assertTrue(after.loss() < Math.log(2) - 0.1, "eval loss " + after.loss());
        assertTrue(lastSteps.margin() > firstSteps.margin() + 0.3,
                "train margin grows: " + firstSteps.margin() + " -> " + lastSteps.margin());
    }

    @Test
    void onTheFlyAndPrecomputedReferencesTrainIdentically() {
        List<PreferencePair> pairs = SyntheticPreferences.generate(8, 3);
        DpoConfig config = config();
        config.batchSize = 4;
        CausalLM a = tinyModel();
        CausalLM b = tinyModel();
        DpoBatchTrainer onTheFly = new DpoBatchTrainer(config, a, ReferenceLogProbs.onTheFly(a.copy()), 3);
        DpoBatchTrainer precomputed = new DpoBatchTrainer(config, b, ReferenceLogProbs.precomputed(), 3);
        List<PreferencePair> withRef = ReferenceLogProbs.precompute(b, pairs, 8, false, null);
        for (int s = 0; s < 3; s++) {
            DpoMetrics ma = new DpoMetrics();
            DpoMetrics mb = new DpoMetrics();
            onTheFly.step(pairs, s, ma);
            precomputed.step(withRef, s, mb);
            assertEquals(ma.loss(), mb.loss(), 1e-5, "step " + s);
            assertEquals(ma.margin(), mb.margin(), 1e-5, "step " + s);
        }
    }
}
