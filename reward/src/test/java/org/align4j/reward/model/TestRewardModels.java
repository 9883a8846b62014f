package org.align4j.reward.model;

import org.align4j.policy.testing.TestFixtures;
import java.nio.file.Path;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.tokenizer.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;

/** Tiny trunks and the 16-token arithmetic tokenizer of the test resources. */
public final class TestRewardModels {
    private TestRewardModels() {
    }

    /** The directory holding the test tokenizer (digits, + = #, space, newline, eos 15). */
    public static Path tokenizerDir() {
        return TestFixtures.arithTokenizer();
    }

    public static Tokenizer tokenizer() {
        return Tokenizer.load(tokenizerDir());
    }

    /** vocab 16, hidden 16, 1 layer, 2 heads over 1 kv head, context 64, eos 15. */
    public static ModelConfig tinyConfig() {
        return ModelConfig.llama(16, 16, 32, 1, 2, 1, 64, null, new int[] {15});
    }

    public static CausalLM tinyTrunk(DataType dtype, long seed) {
        return CausalLM.initialize(tinyConfig(), dtype, seed);
    }
}
