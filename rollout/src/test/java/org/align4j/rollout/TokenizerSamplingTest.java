package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Text and stop strings with a real (tiny byte-level BPE) tokenizer. */
class TokenizerSamplingTest {

    @Test
    void textIsTheDecodedCompletionAndStopStringsCutIt() {
        Tokenizer tok = TestModels.tinyTokenizer();
        CausalLM m = CausalLM.initialize(ModelConfig.llama(266, 32, 64, 2, 4, 2, 128, 1, new int[] {2}),
                DataType.FLOAT, 5);
        Sampler sampler = new Sampler(m, tok, 64);
        List<Prompt> prompts = List.of(new Prompt("q", tok.encode("the answer is", true), "the answer is"));
        SamplingParams p = SamplingParams.DEFAULTS.withMaxCompletionLength(40).withSeed(8);
        List<Completion> free = sampler.sample(prompts, 4, p).get(0).completions();
        Completion longest = free.get(0);
        for (Completion c : free) {
            assertEquals(tok.decode(c.ids(), true), c.text());
            if (c.text().length() > longest.text().length()) {
                longest = c;
            }
        }
        String text = longest.text();
        assertTrue(text.length() >= 6, text);
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        List<Completion> cut = sampler.sample(prompts, 4, p.withStop(List.of(stop))).get(0).completions();
        for (int g = 0; g < 4; g++) {
            Completion full = free.get(g);
            Completion c = cut.get(g);
            int at = full.text().indexOf(stop);
            if (at < 0) {
                assertEquals(full.text(), c.text());
                continue;
            }
            assertEquals(FinishReason.STOP, c.finishReason());
            assertEquals(full.text().substring(0, at), c.text());
            assertArrayEquals(java.util.Arrays.copyOf(full.ids(), c.length()), c.ids());
            assertTrue(tok.decode(c.ids(), true).startsWith(c.text()));
        }
    }
}
