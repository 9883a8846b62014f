package org.align4j.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.KvCache;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.tokenizer.Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Samples groups of completions with batched KV-cache decoding. The P prompts of a batch are prefilled
 * once, each prompt's cache row is copied to its G sequences, and the G x P sequences then decode together,
 * one token per step, on one preallocated cache. A finished sequence is marked inactive (its attention is
 * skipped), and once half of the rows are finished the live ones are moved into a cache half the size, so
 * finished sequences stop costing compute. The backend picks the tokens where the logits are
 * ({@link org.align4j.policy.ops.Ops#sampleTokens}, from one uniform per row drawn here), so a GPU sends back
 * one token per row and step; the loop allocates nothing per token apart from the tokenizer's text.
 *
 * <p>Drives one model, which is not thread-safe: one sampler per thread.
 */
public final class Sampler {
    private static final int PREFILL_BUCKET = 8;

    private final CausalLM model;
    private final ModelConfig config;
    private final Supplier<TextStream> textStreams;
    private final int[] eosIds;
    private final int maxBatchSequences;

    /**
     * @param model             the policy that samples
     * @param tokenizer         gives the completions' text and stop strings; null for ids only
     * @param maxBatchSequences most sequences decoded together (bounds the KV cache); a request with more
     *                          is sampled in several batches of whole groups
     */
    public Sampler(CausalLM model, Tokenizer tokenizer, int maxBatchSequences) {
        this(model, tokenizer == null ? null : () -> {
            var decoder = tokenizer.streamingDecoder(true);
            return new TextStream() {
                @Override
                public String next(int id) {
                    return decoder.next(id);
                }

                @Override
                public String finish() {
                    return decoder.finish();
                }
            };
        }, tokenizer == null || tokenizer.eosId() == null ? new int[0] : new int[] {tokenizer.eosId()},
                maxBatchSequences);
    }

    Sampler(CausalLM model, Supplier<TextStream> textStreams, int[] extraEosIds, int maxBatchSequences) {
        if (maxBatchSequences < 1) {
            throw new IllegalArgumentException("maxBatchSequences must be >= 1, got " + maxBatchSequences);
        }
        this.model = model;
        this.config = model.config();
        this.textStreams = textStreams;
        this.eosIds = Arrays.stream(concat(config.eosTokenIds, extraEosIds)).distinct().toArray();
        this.maxBatchSequences = maxBatchSequences;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    public CausalLM model() {
        return model;
    }

    /** The longest prompt this model accepts: prefill needs its length rounded up to 8, and one new token. */
    public int maxPromptLength() {
        return Math.min(config.maxPositions - 1, config.maxPositions / PREFILL_BUCKET * PREFILL_BUCKET);
    }

    /**
     * Samples numGenerations completions of every prompt, in prompt order.
     *
     * @param policyVersion recorded on every group and completion
     * @param progress      told after every decoding step
     */
    public List<CompletionGroup> sample(List<Prompt> prompts, int numGenerations, SamplingParams params,
                                        long policyVersion, SamplingProgress progress) {
        List<CompletionGroup> out = new ArrayList<>(prompts.size());
        sample(prompts, numGenerations, params, policyVersion, progress, out::add);
        return out;
    }

    /**
     * Like {@link #sample(List, int, SamplingParams, long, SamplingProgress)}, but hands each group to
     * {@code sink}, in prompt order, as soon as its batch is done (to write a large set as it goes).
     */
    public void sample(List<Prompt> prompts, int numGenerations, SamplingParams params, long policyVersion,
                       SamplingProgress progress, Consumer<CompletionGroup> sink) {
        sample(prompts, 0, numGenerations, params, policyVersion, progress, sink);
    }

    /**
     * Like {@link #sample(List, int, SamplingParams, long, SamplingProgress, Consumer)} for prompts that start at
     * index {@code firstPromptIndex} of a larger batch: each completion draws what it would in that batch.
     */
    public void sample(List<Prompt> prompts, int firstPromptIndex, int numGenerations, SamplingParams params,
                       long policyVersion, SamplingProgress progress, Consumer<CompletionGroup> sink) {
        validate(prompts, numGenerations, params);
        int perBatch = Math.max(1, maxBatchSequences / numGenerations);
        for (int from = 0; from < prompts.size(); from += perBatch) {
            List<Prompt> chunk = prompts.subList(from, Math.min(prompts.size(), from + perBatch));
            SampledSequence[] seqs = sampleBatch(chunk, firstPromptIndex + from, numGenerations, params, progress, null);
            for (int p = 0; p < chunk.size(); p++) {
                List<Completion> group = new ArrayList<>(numGenerations);
                for (int g = 0; g < numGenerations; g++) {
                    group.add(seqs[p * numGenerations + g].toCompletion(policyVersion));
                }
                sink.accept(new CompletionGroup(chunk.get(p), group, policyVersion));
            }
        }
    }

    public List<CompletionGroup> sample(List<Prompt> prompts, int numGenerations, SamplingParams params) {
        return sample(prompts, numGenerations, params, 0, SamplingProgress.NONE);
    }

    /**
     * Multi-turn sampling: like {@link #sample(List, int, SamplingParams, long, SamplingProgress)}, but a turn that
     * ends with EOS is answered by {@code turnEnds}, whose tokens are appended to the sequence's KV cache, and
     * sampling goes on from there within max_completion_length (the answers count). Completions carry the
     * answers' tokens flagged ({@link Completion#fromEnvironment}, log-prob 0) and no text; stop strings are
     * not supported.
     */
    public List<CompletionGroup> sampleTurns(List<Prompt> prompts, int numGenerations, SamplingParams params,
                                             long policyVersion, TurnEnds turnEnds) {
        if (!params.stop().isEmpty()) {
            throw new IllegalArgumentException("multi-turn sampling does not take stop strings");
        }
        validate(prompts, numGenerations, params);
        List<CompletionGroup> out = new ArrayList<>(prompts.size());
        int perBatch = Math.max(1, maxBatchSequences / numGenerations);
        for (int from = 0; from < prompts.size(); from += perBatch) {
            List<Prompt> chunk = prompts.subList(from, Math.min(prompts.size(), from + perBatch));
            SampledSequence[] seqs = sampleBatch(chunk, from, numGenerations, params, SamplingProgress.NONE, turnEnds);
            for (int p = 0; p < chunk.size(); p++) {
                List<Completion> group = new ArrayList<>(numGenerations);
                for (int g = 0; g < numGenerations; g++) {
                    SampledSequence s = seqs[p * numGenerations + g];
                    Completion c = s.toCompletion(policyVersion);
                    group.add(new Completion(c.promptId(), c.index(), c.ids(), c.logProbs(), c.finishReason(),
                            policyVersion, null, s.fromEnvironment(), 0, 0));
                }
                out.add(new CompletionGroup(chunk.get(p), group, policyVersion));
            }
        }
        return out;
    }

    /** Throws IllegalArgumentException naming what is wrong with a request. */
    void validate(List<Prompt> prompts, int numGenerations, SamplingParams params) {
        if (numGenerations < 1) {
            throw new IllegalArgumentException("num_generations must be >= 1, got " + numGenerations);
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to sample from");
        }
        if (!params.stop().isEmpty() && textStreams == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer, and this sampler has none");
        }
        int maxLen = maxPromptLength();
        for (Prompt p : prompts) {
            if (p.length() > maxLen) {
                throw new IllegalArgumentException("prompt '" + p.id() + "' has " + p.length()
                        + " tokens; this model's context (max_position_embeddings " + config.maxPositions
                        + ") takes prompts of at most " + maxLen);
            }
            for (int id : p.idsView()) {
                if (id < 0 || id >= config.vocabSize) {
                    throw new IllegalArgumentException("prompt '" + p.id() + "' has token id " + id
                            + ", outside the vocabulary of " + config.vocabSize);
                }
            }
        }
    }

    /**
     * Samples one batch: G sequences per prompt, sequence p * G + g is completion g of prompt p.
     *
     * @param turnEnds answers turns that end with EOS (multi-turn), or null
     */
    private SampledSequence[] sampleBatch(List<Prompt> prompts, int firstPromptIndex, int numGenerations,
                                          SamplingParams params, SamplingProgress progress, TurnEnds turnEnds) {
        int vocab = config.vocabSize;
        int numPrompts = prompts.size();
        int rows = numPrompts * numGenerations;
        int longest = prompts.stream().mapToInt(Prompt::length).max().orElseThrow();
        int maxNew = params.maxCompletionLength();

        SampledSequence[] seqs = new SampledSequence[rows];
        for (int p = 0; p < numPrompts; p++) {
            Prompt prompt = prompts.get(p);
            // The trainer's teacher-forced pass needs prompt + completion within max_position_embeddings.
            int limit = Math.min(maxNew, config.maxPositions - prompt.length());
            for (int g = 0; g < numGenerations; g++) {
                CompletionText text = textStreams == null || turnEnds != null ? null
                        : new CompletionText(textStreams.get(), params.stop(), limit);
                seqs[p * numGenerations + g] = new SampledSequence(prompt, g,
                        rng(params.seed(), firstPromptIndex + p, g), limit, eosIds, text);
            }
        }

        // Prefill each distinct prompt once, then share its cache row with its G sequences.
        int[][] promptIds = new int[numPrompts][];
        for (int p = 0; p < numPrompts; p++) {
            promptIds[p] = prompts.get(p).idsView();
        }
        KvCache prefillCache = model.newKvCache(numPrompts, roundUp(longest));
        // DeepSeekMoE: each pass's expert choices go with the tokens they predicted (router record, for replay).
        // Not in multi-turn rollouts: the environment's tokens are fed, not sampled, and have no record.
        boolean record = model.hasMoe() && turnEnds == null;
        model.setRecordingExpertChoices(record);
        TokenBatch prefillBatch = TokenBatch.of(promptIds);
        INDArray prefillLogits = model.prefill(prefillCache, prefillBatch);
        int[][] passChoices = record ? model.lastExpertChoices() : null;
        // the prefill row of sequence r's last prompt position; later passes have one row per cache row
        int prefillWidth = model.gridWidth(prefillBatch);
        int[] passRow = new int[rows];
        for (int r = 0; r < rows; r++) {
            passRow[r] = (r / numGenerations) * prefillWidth + promptIds[r / numGenerations].length - 1;
        }
        // The backend draws every token (Ops.sampleTokens): a GPU sends back one pick per row, never the
        // [rows, vocab] logits. Each sequence's generator draws one uniform per token (none when greedy), so the
        // same seed gives the same completions on every backend and in every batching.
        int topK = params.topK();
        double topP = params.topP();
        boolean greedy = params.isGreedy();
        double invTemperature = greedy ? 1.0 : 1.0 / params.temperature();
        int[] picked = new int[rows];
        double[] pickedLogProb = new double[rows];
        double[] uniforms = new double[rows];
        int[] groupPicks = new int[numPrompts];
        double[] groupLogProbs = new double[numPrompts];
        for (int g = 0; g < numGenerations; g++) {
            // Completion g of every prompt draws from its prompt's prefill row.
            for (int p = 0; p < numPrompts; p++) {
                uniforms[p] = greedy ? 0.0 : seqs[p * numGenerations + g].rng.nextDouble();
            }
            model.ops().sampleTokens(prefillLogits, numPrompts, invTemperature, greedy, topK, topP, uniforms,
                    groupPicks, groupLogProbs);
            for (int p = 0; p < numPrompts; p++) {
                picked[p * numGenerations + g] = groupPicks[p];
                pickedLogProb[p * numGenerations + g] = groupLogProbs[p];
            }
        }
        int capacity = Math.min(config.maxPositions, longest + maxNew - 1);
        KvCache cache = model.newDecodingCache(rows, capacity);
        for (int r = 0; r < rows; r++) {
            cache.copyRow(prefillCache, r / numGenerations, r);
        }
        prefillCache.close();

        int[] rowSeq = new int[rows];
        for (int r = 0; r < rows; r++) {
            rowSeq[r] = r;
        }
        int cacheRows = rows;
        int[] tokens = new int[rows];
        boolean[] live = new boolean[rows];
        int alive = rows;
        while (true) {
            int sampled = 0;
            int ended = 0;
            for (int r = 0; r < cacheRows; r++) {
                SampledSequence s = seqs[rowSeq[r]];
                if (s.finished()) {
                    live[r] = false;
                    continue;
                }
                if (s.feeding()) {
                    // an answer goes into the cache token by token; this row's logits are not sampled
                    tokens[r] = s.nextFed();
                    live[r] = true;
                    continue;
                }
                int token = picked[r];
                sampled++;
                if (passChoices != null) {
                    s.recordExperts(rowChoices(passChoices, passRow[r], model.expertsPerToken()));
                }
                if (s.accept(token, pickedLogProb[r])) {
                    int[] answer = turnEnds == null || s.finish() != FinishReason.EOS ? null
                            : turnEnds.answer(firstPromptIndex * numGenerations + rowSeq[r], s.idsSoFar());
                    if (answer != null && s.resume(answer)) {
                        tokens[r] = s.nextFed();
                        live[r] = true;
                        continue;
                    }
                    ended++;
                    live[r] = false;
                } else {
                    tokens[r] = token;
                    live[r] = true;
                }
            }
            alive -= ended;
            progress.onStep(sampled, ended);
            if (alive == 0) {
                cache.close();
                model.setRecordingExpertChoices(false);
                return seqs;
            }
            if (alive * 2 <= cacheRows) {
                // Move the live rows into a smaller cache: decoding cost is proportional to the rows.
                KvCache smaller = model.newDecodingCache(alive, cache.capacity());
                int[] keptSeq = new int[alive];
                int k = 0;
                for (int r = 0; r < cacheRows; r++) {
                    if (live[r]) {
                        smaller.copyRow(cache, r, k);
                        tokens[k] = tokens[r];
                        keptSeq[k++] = rowSeq[r];
                    }
                }
                cache.close();
                cache = smaller;
                rowSeq = keptSeq;
                cacheRows = alive;
                tokens = Arrays.copyOf(tokens, alive);
                live = new boolean[alive];
                Arrays.fill(live, true);
            }
            INDArray next = model.decodeStep(cache, tokens, live);
            for (int r = 0; r < cacheRows; r++) {
                SampledSequence s = seqs[rowSeq[r]];
                // a row that feeds an answer next step draws nothing (its generator keeps its sequence)
                uniforms[r] = live[r] && !greedy && !s.feeding() ? s.rng.nextDouble() : 0.0;
            }
            model.ops().sampleTokens(next, cacheRows, invTemperature, greedy, topK, topP, uniforms, picked,
                    pickedLogProb);
            if (record) {
                passChoices = model.lastExpertChoices();
                for (int r = 0; r < cacheRows; r++) {
                    passRow[r] = r;
                }
            }
        }
    }

    /** Row row's experts of every MoE layer, [layer * k + j]. */
    private static int[] rowChoices(int[][] pass, int row, int k) {
        int[] out = new int[pass.length * k];
        for (int l = 0; l < pass.length; l++) {
            System.arraycopy(pass[l], row * k, out, l * k, k);
        }
        return out;
    }

    /** Per-completion generator: the same (seed, prompt index, index in group) always draws the same. */
    static SplittableRandom rng(long seed, int promptIndex, int index) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        h = mix(h ^ (promptIndex + 1L) * 0xC2B2AE3D27D4EB4FL);
        h = mix(h ^ (index + 1L) * 0x165667B19E3779F9L);
        return new SplittableRandom(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    private static int roundUp(int n) {
        return (n + PREFILL_BUCKET - 1) / PREFILL_BUCKET * PREFILL_BUCKET;
    }
}
