package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.TokenBatch;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SamplerTest {

    @Test
    void greedyReproducesTransformersOnTheLlamaFixture() throws IOException {
        Path dir = TestModels.fixture("model_llama");
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected_greedy.json").toFile());
        int[] prompt = ints(exp.get("greedy_prompt").get(0));
        int[] expected = ints(exp.get("greedy_output").get(0));
        CausalLM m = HfCheckpoint.load(dir);
        Sampler sampler = new Sampler(m, null, 64);
        int newTokens = expected.length - prompt.length;
        // Two copies of the prompt and two generations each: batching must not change greedy results.
        List<CompletionGroup> groups = sampler.sample(List.of(Prompt.ofIds("a", prompt), Prompt.ofIds("b", prompt)),
                2, SamplingParams.greedy(newTokens));
        for (CompletionGroup g : groups) {
            for (Completion c : g.completions()) {
                assertArrayEquals(Arrays.copyOfRange(expected, prompt.length, expected.length), c.ids());
                assertEquals(FinishReason.LENGTH, c.finishReason());
            }
        }
    }

    private static int[] ints(JsonNode n) {
        int[] a = new int[n.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = n.get(i).asInt();
        }
        return a;
    }

    @Test
    void recordedLogProbsEqualTeacherForcedRecomputation() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 3);
        List<Prompt> prompts = TestModels.prompts(96, 3, 9, 17);
        // Extra eos ids make completions end at different steps, so rows go inactive and the batch is compacted.
        Sampler sampler = new Sampler(m, null, new int[] {10, 11, 12, 13, 14, 15}, 64);
        for (SamplingParams p : List.of(
                SamplingParams.DEFAULTS.withTemperature(0.7).withTopK(20).withTopP(0.9).withMaxCompletionLength(24),
                SamplingParams.DEFAULTS.withTemperature(1.3).withMaxCompletionLength(24).withSeed(5),
                SamplingParams.greedy(24))) {
            List<CompletionGroup> groups = sampler.sample(prompts, 4, p, 0, SamplingProgress.NONE);
            double t = p.isGreedy() ? 1.0 : p.temperature();
            double maxErr = 0;
            for (CompletionGroup g : groups) {
                for (Completion c : g.completions()) {
                    double[] recomputed = teacherForced(m, g.prompt().ids(), c.ids(), t);
                    for (int i = 0; i < recomputed.length; i++) {
                        maxErr = Math.max(maxErr, Math.abs(recomputed[i] - c.logProbs()[i]));
                    }
                }
            }
            assertTrue(maxErr < 1e-5, "temperature " + t + ": max |log-prob - recomputed| = " + maxErr);
        }
    }

    /** log softmax(logits / t) of each completion token under a full forward pass of prompt + completion. */
    static double[] teacherForced(CausalLM m, int[] prompt, int[] completion, double t) {
        int[] seq = new int[prompt.length + completion.length];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(completion, 0, seq, prompt.length, completion.length);
        Forward f = m.forward(TokenBatch.of(seq));
        double[] out = new double[completion.length];
        for (int i = 0; i < completion.length; i++) {
            INDArray row = f.logits().getRow(f.rowIndex(0, prompt.length - 1 + i));
            double[] l = row.toDoubleVector();
            double max = Arrays.stream(l).max().orElseThrow();
            double z = 0;
            for (double x : l) {
                z += Math.exp((x - max) / t);
            }
            out[i] = (l[completion[i]] - max) / t - Math.log(z);
        }
        return out;
    }

    @Test
    void finishReasonsAndEosHandling() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 3);
        Sampler sampler = new Sampler(m, null, new int[] {10, 11, 12, 13, 14, 15}, 64);
        List<CompletionGroup> groups = sampler.sample(TestModels.prompts(96, 5, 6), 8,
                SamplingParams.DEFAULTS.withMaxCompletionLength(30), 7, SamplingProgress.NONE);
        int eos = 0;
        int length = 0;
        for (CompletionGroup g : groups) {
            assertEquals(7, g.policyVersion());
            for (int i = 0; i < g.size(); i++) {
                Completion c = g.get(i);
                assertEquals(i, c.index());
                assertEquals(g.prompt().id(), c.promptId());
                assertEquals(7, c.policyVersion());
                int last = c.ids()[c.length() - 1];
                boolean endsWithEos = last == 2 || (last >= 10 && last <= 15);
                if (c.finishReason() == FinishReason.EOS) {
                    eos++;
                    assertTrue(endsWithEos);
                } else {
                    length++;
                    assertEquals(FinishReason.LENGTH, c.finishReason());
                    assertEquals(30, c.length());
                }
                for (int j = 0; j < c.length() - 1; j++) {
                    int id = c.ids()[j];
                    assertTrue(id != 2 && (id < 10 || id > 15), "eos in the middle of " + c);
                }
            }
        }
        assertTrue(eos > 0 && length > 0, eos + " eos, " + length + " length");
    }

    @Test
    void theSameSeedGivesTheSameCompletionsWhateverTheBatching() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 4);
        List<Prompt> prompts = TestModels.prompts(96, 4, 7, 2, 12, 5);
        SamplingParams p = SamplingParams.DEFAULTS.withTopP(0.95).withMaxCompletionLength(12).withSeed(42);
        List<CompletionGroup> a = new Sampler(m, null, 64).sample(prompts, 3, p);
        List<CompletionGroup> b = new Sampler(m, null, 64).sample(prompts, 3, p);
        // Batches of at most 4 sequences: one prompt (3 generations) at a time.
        List<CompletionGroup> c = new Sampler(m, null, 4).sample(prompts, 3, p);
        List<CompletionGroup> d = new Sampler(m, null, 64).sample(prompts, 3, p.withSeed(43));
        assertEquals(idsOf(a), idsOf(b));
        assertEquals(idsOf(a), idsOf(c));
        assertNotEquals(idsOf(a), idsOf(d));
        // Generations of one prompt differ from each other (each has its own generator).
        assertNotEquals(Arrays.toString(a.get(0).get(0).ids()), Arrays.toString(a.get(0).get(1).ids()));
    }

    private static List<String> idsOf(List<CompletionGroup> groups) {
        List<String> out = new ArrayList<>();
        for (CompletionGroup g : groups) {
            for (Completion c : g.completions()) {
                out.add(g.prompt().id() + "/" + c.index() + ":" + Arrays.toString(c.ids()));
            }
        }
        return out;
    }

    @Test
    void completionsStopAtTheEndOfTheContext() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 4); // context 64
        List<Prompt> prompts = TestModels.prompts(96, 60, 3);
        List<CompletionGroup> groups = new Sampler(m, null, 64).sample(prompts, 2, SamplingParams.greedy(10));
        assertEquals(4, groups.get(0).get(0).length());
        assertEquals(FinishReason.LENGTH, groups.get(0).get(0).finishReason());
        assertTrue(groups.get(1).get(0).length() <= 10);
    }

    @Test
    void badInputGetsAClearError() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 4);
        Sampler s = new Sampler(m, null, 64);
        List<Prompt> ok = TestModels.prompts(96, 3);
        assertThrows(IllegalArgumentException.class, () -> Prompt.ofIds("e"), "prompt 'e' is empty");
        assertEquals("prompt 'e' is empty",
                assertThrows(IllegalArgumentException.class, () -> Prompt.ofIds("e")).getMessage());
        assertEquals("prompt 'p0' has 64 tokens; this model's context (max_position_embeddings 64) takes prompts"
                        + " of at most 63",
                assertThrows(IllegalArgumentException.class,
                        () -> s.sample(TestModels.prompts(96, 64), 1, SamplingParams.DEFAULTS)).getMessage());
        assertEquals("num_generations must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> s.sample(ok, 0, SamplingParams.DEFAULTS))
                        .getMessage());
        assertEquals("top_p must be in (0, 1], got 0.0", assertThrows(IllegalArgumentException.class,
                () -> SamplingParams.DEFAULTS.withTopP(0)).getMessage());
        assertEquals("top_p must be in (0, 1], got 1.5", assertThrows(IllegalArgumentException.class,
                () -> SamplingParams.DEFAULTS.withTopP(1.5)).getMessage());
        assertEquals("temperature must be >= 0 (0 is greedy), got -0.1", assertThrows(IllegalArgumentException.class,
                () -> SamplingParams.DEFAULTS.withTemperature(-0.1)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> s.sample(List.of(Prompt.ofIds("big", 3, 96)), 1, SamplingParams.DEFAULTS)).getMessage()
                .contains("token id 96, outside the vocabulary of 96"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> s.sample(ok, 1, SamplingParams.DEFAULTS.withStop(List.of("x")))).getMessage()
                .contains("stop strings need a tokenizer"));
    }

    @Test
    void stopStringsCutTheTextAndTheTokensExactly() {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 9);
        // A synthetic detokenizer: id i is the letter 'a' + i % 26, ids divisible by 5 are two letters.
        java.util.function.Supplier<TextStream> letters = () -> new TextStream() {
            @Override
            public String next(int id) {
                String s = String.valueOf((char) ('a' + id % 26));
                return id % 5 == 0 ? s + s : s;
            }

            @Override
            public String finish() {
                return "";
            }
        };
        List<Prompt> prompts = TestModels.prompts(96, 4, 6);
        SamplingParams p = SamplingParams.DEFAULTS.withMaxCompletionLength(40).withSeed(3);
        Sampler sampler = new Sampler(m, letters, new int[0], 64);
        List<CompletionGroup> free = sampler.sample(prompts, 2, p);
        // Stop strings taken from the middle of two completions' own text.
        String a = free.get(0).get(0).text();
        String b = free.get(1).get(1).text();
        assertTrue(a.length() >= 4 && b.length() >= 4, a + " / " + b);
        String stopA = a.substring(a.length() / 2, a.length() / 2 + 3 > a.length() ? a.length() : a.length() / 2 + 3);
        String stopB = b.substring(b.length() / 2, b.length() / 2 + 2);
        List<CompletionGroup> cut = sampler.sample(prompts, 2, p.withStop(List.of(stopA, stopB)));
        for (int pi = 0; pi < 2; pi++) {
            for (int g = 0; g < 2; g++) {
                Completion full = free.get(pi).get(g);
                Completion c = cut.get(pi).get(g);
                int at = firstOf(full.text(), stopA, stopB);
                if (at < 0) {
                    assertEquals(full.text(), c.text());
                    assertArrayEquals(full.ids(), c.ids());
                    continue;
                }
                assertEquals(FinishReason.STOP, c.finishReason());
                assertEquals(full.text().substring(0, at), c.text());
                // The kept tokens are the fewest whose text covers the cut text.
                int[] ids = c.ids();
                assertArrayEquals(Arrays.copyOf(full.ids(), ids.length), ids);
                assertArrayEquals(Arrays.copyOf(full.logProbs(), ids.length), c.logProbs());
                assertTrue(textOf(ids).length() >= at);
                assertTrue(ids.length == 0 || textOf(Arrays.copyOf(ids, ids.length - 1)).length() < at);
            }
        }
    }

    private static int firstOf(String text, String a, String b) {
        int i = text.indexOf(a);
        int j = text.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    private static String textOf(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String s = String.valueOf((char) ('a' + id % 26));
            sb.append(id % 5 == 0 ? s + s : s);
        }
        return sb.toString();
    }
}
