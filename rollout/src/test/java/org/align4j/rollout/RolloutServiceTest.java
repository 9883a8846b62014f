package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class RolloutServiceTest {
    private static final List<Prompt> PROMPTS = TestModels.prompts(96, 4, 9, 6);
    private static final SamplingParams PARAMS = SamplingParams.DEFAULTS.withTopK(30).withMaxCompletionLength(10)
            .withSeed(11);

    private static List<String> ids(List<CompletionGroup> groups) {
        List<String> out = new ArrayList<>();
        for (CompletionGroup g : groups) {
            for (Completion c : g.completions()) {
                out.add(c.promptId() + "/" + c.index() + ":" + Arrays.toString(c.ids()));
            }
        }
        return out;
    }

    private static List<Long> versions(List<CompletionGroup> groups) {
        List<Long> out = new ArrayList<>();
        for (CompletionGroup g : groups) {
            out.add(g.policyVersion());
            g.completions().forEach(c -> out.add(c.policyVersion()));
        }
        return out.stream().distinct().toList();
    }

    @Test
    void servesWhatTheSamplerSamplesWithTheSameSeed() throws Exception {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 21);
        List<CompletionGroup> direct = new Sampler(m, null, 256).sample(PROMPTS, 3, PARAMS);
        for (int workers : new int[] {1, 2}) {
            try (RolloutService s = RolloutService.start(m, null, 5,
                    RolloutService.Options.DEFAULTS.withWorkers(workers).withMaxBatchSequences(4))) {
                List<CompletableFuture<List<CompletionGroup>>> futures = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    futures.add(s.submit(RolloutRequest.of(PROMPTS, 3, PARAMS)));
                }
                for (CompletableFuture<List<CompletionGroup>> f : futures) {
                    List<CompletionGroup> got = f.get();
                    assertEquals(ids(direct), ids(got));
                    assertEquals(List.of(5L), versions(got));
                }
            }
        }
    }

    /** A copy of m with different weights (every parameter scaled), to tell versions apart. */
    private static CausalLM perturbed(CausalLM m) {
        CausalLM other = m.copy();
        other.parameters().forEach(p -> p.value().muli(1.5));
        return other;
    }

    @Test
    void onPolicyRequestsWaitForTheirVersionAndUseThePublishedWeights() throws Exception {
        CausalLM trainer = TestModels.tiny(DataType.FLOAT, 22);
        CausalLM next = perturbed(trainer);
        List<CompletionGroup> expectedNext = new Sampler(next, null, 256).sample(PROMPTS, 2, PARAMS);
        List<CompletionGroup> expectedNow = new Sampler(trainer, null, 256).sample(PROMPTS, 2, PARAMS);
        assertNotEquals(ids(expectedNow), ids(expectedNext));
        try (RolloutService s = RolloutService.start(trainer, null, 0, RolloutService.Options.DEFAULTS)) {
            CompletableFuture<List<CompletionGroup>> f = s.submit(RolloutRequest.of(PROMPTS, 2, PARAMS).forVersion(1));
            assertFalse(f.isDone());
            s.publish(next, 1);
            List<CompletionGroup> got = f.get();
            assertEquals(List.of(1L), versions(got));
            assertEquals(ids(expectedNext), ids(got));
            assertEquals(1, s.version());
            assertThrows(IllegalArgumentException.class, () -> s.publish(trainer, 1));
        }
    }

    /**
     * Sharing the policy: the samples are the copying service's, the weights are the policy's own (a change shows at
     * once, a publish copies nothing), and only one on-policy worker may share.
     */
    @Test
    void sharingThePolicySamplesWithItsOwnWeights() throws Exception {
        CausalLM trainer = TestModels.tiny(DataType.FLOAT, 26);
        List<CompletionGroup> before = new Sampler(trainer.copy(), null, 256).sample(PROMPTS, 2, PARAMS);
        try (RolloutService s = RolloutService.sharing(trainer, null, 0, RolloutService.Options.DEFAULTS)) {
            assertEquals(ids(before), ids(s.submit(RolloutRequest.of(PROMPTS, 2, PARAMS).forVersion(0)).get()));
            // the trainer's update lands in the policy itself; publish only advances the version
            trainer.parameters().forEach(p -> p.value().muli(1.5));
            List<CompletionGroup> after = new Sampler(trainer.copy(), null, 256).sample(PROMPTS, 2, PARAMS);
            assertNotEquals(ids(before), ids(after));
            s.publish(trainer, 1);
            List<CompletionGroup> got = s.submit(RolloutRequest.of(PROMPTS, 2, PARAMS).forVersion(1)).get();
            assertEquals(ids(after), ids(got));
            assertEquals(List.of(1L), versions(got));
            assertThrows(IllegalArgumentException.class, () -> s.publish(trainer.copy(), 2));
        }
        assertThrows(IllegalArgumentException.class, () -> RolloutService.sharing(trainer, null, 0,
                RolloutService.Options.DEFAULTS.withMaxStaleness(1)));
        assertThrows(IllegalArgumentException.class, () -> RolloutService.sharing(trainer, null, 0,
                RolloutService.Options.DEFAULTS.withWorkers(2)));
    }

    @Test
    void withStalenessOneTheNextBatchIsSampledOneVersionBehind() throws Exception {
        CausalLM trainer = TestModels.tiny(DataType.FLOAT, 23);
        try (RolloutService s = RolloutService.start(trainer, null, 0,
                RolloutService.Options.DEFAULTS.withMaxStaleness(1))) {
            // For version 1 while 0 is published: sampled now, by version 0.
            assertEquals(List.of(0L), versions(s.submit(RolloutRequest.of(PROMPTS, 2, PARAMS).forVersion(1)).get()));
            // For version 3: needs at least 2.
            CompletableFuture<List<CompletionGroup>> f = s.submit(RolloutRequest.of(PROMPTS, 2, PARAMS).forVersion(3));
            s.publish(perturbed(trainer), 2);
            assertEquals(List.of(2L), versions(f.get()));
        }
    }

    @Test
    void theQueueIsBoundedAndClosingCancelsWaitingRequests() throws Exception {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 24);
        RolloutService s = RolloutService.start(m, null, 0, RolloutService.Options.DEFAULTS.withQueueCapacity(2));
        // The worker takes this one and waits for version 9.
        CompletableFuture<List<CompletionGroup>> waiting = s.submit(RolloutRequest.of(PROMPTS, 1, PARAMS).forVersion(9));
        while (s.queued() > 0) {
            Thread.onSpinWait();
        }
        Optional<CompletableFuture<List<CompletionGroup>>> a = s.trySubmit(RolloutRequest.of(PROMPTS, 1, PARAMS));
        Optional<CompletableFuture<List<CompletionGroup>>> b = s.trySubmit(RolloutRequest.of(PROMPTS, 1, PARAMS));
        assertTrue(a.isPresent() && b.isPresent());
        assertTrue(s.trySubmit(RolloutRequest.of(PROMPTS, 1, PARAMS)).isEmpty(), "third request beyond capacity 2");
        assertEquals(2, s.queued());
        s.close();
        assertTrue(waiting.isCancelled() && a.get().isCancelled() && b.get().isCancelled());
        assertThrows(IllegalStateException.class, () -> s.submit(RolloutRequest.of(PROMPTS, 1, PARAMS)));
    }

    @Test
    void badRequestsAndMismatchedWeightsAreRejected() throws Exception {
        CausalLM m = TestModels.tiny(DataType.FLOAT, 25);
        try (RolloutService s = RolloutService.start(m, null, 0, RolloutService.Options.DEFAULTS)) {
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> s.submit(RolloutRequest.of(TestModels.prompts(96, 70), 1, PARAMS))).getMessage()
                    .contains("prompt 'p0' has 70 tokens"));
            assertEquals("num_generations must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                    () -> RolloutRequest.of(PROMPTS, 0, PARAMS)).getMessage());
            // Weights of another architecture are refused before anything is overwritten.
            CausalLM other = CausalLM.initialize(ModelConfig.llama(96, 16, 32, 2, 4, 2, 64, 1, new int[] {2}),
                    DataType.FLOAT, 1);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> s.publish(other, 1)).getMessage()
                    .contains("model.embed_tokens.weight"));
            assertEquals(0, s.version());
            assertEquals(ids(new Sampler(m, null, 256).sample(PROMPTS, 1, PARAMS)),
                    ids(s.submit(RolloutRequest.of(PROMPTS, 1, PARAMS)).get()));
            assertEquals(3, s.submit(RolloutRequest.of(PROMPTS, 1, PARAMS)).get().size());
        }
    }
}
