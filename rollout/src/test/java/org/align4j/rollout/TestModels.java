package org.align4j.rollout;

import org.align4j.policy.testing.TestFixtures;
import java.nio.file.Path;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.nd4j.linalg.api.buffer.DataType;

/** Models for the tests: random tiny ones, and the Llama fixture computed with transformers. */
final class TestModels {
    private TestModels() {
    }

    /** vocab 96, d 32, 2 layers, 4 heads over 2 kv heads, context 64, eos 2. */
    static CausalLM tiny(DataType dtype, long seed) {
        return CausalLM.initialize(ModelConfig.llama(96, 32, 64, 2, 4, 2, 64, 1, new int[] {2}), dtype, seed);
    }

    static Path fixture(String name) {
        return TestFixtures.hfModel(name);
    }

    /** The tiny byte-level BPE tokenizer of the test resources (vocabulary 266, eos 2). */
    static org.align4j.policy.tokenizer.Tokenizer tinyTokenizer() {
        return org.align4j.policy.tokenizer.Tokenizer.load(TestFixtures.tinyTokenizer());
    }


    /** Prompts p0, p1, ... of the given lengths, with deterministic ids in [3, vocab). */
    static java.util.List<Prompt> prompts(int vocab, int... lengths) {
        java.util.List<Prompt> out = new java.util.ArrayList<>();
        for (int p = 0; p < lengths.length; p++) {
            int[] ids = new int[lengths[p]];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = 3 + (p * 31 + t * 17) % (vocab - 3);
            }
            out.add(Prompt.ofIds("p" + p, ids));
        }
        return out;
    }
}
