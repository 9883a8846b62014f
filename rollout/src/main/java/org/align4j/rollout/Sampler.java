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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Samples groups of completions with batched KV-cache decoding. The P prompts of a batch are prefilled
 * once, each prompt's cache row is copied to its G sequences, and the G x P sequences then decode together,
 * one token per step, on one preallocated cache. A finished sequence is marked inactive (its attention is
 * skipped), and once half of the rows are finished the live ones are moved into a cache half the size, so
 * finished sequences stop costing compute. Logits are read with one bulk copy per step into a reused
 * array, and sampling works on that array in Java; the loop allocates nothing per token apart from the
 * tokenizer's text.
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
            SampledSequence[] seqs = sampleBatch(chunk, firstPromptIndex + from, numGenerations, params, progress);
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

    /** Samples one batch: G sequences per prompt, sequence p * G + g is completion g of prompt p. */
    private SampledSequence[] sampleBatch(List<Prompt> prompts, int firstPromptIndex, int numGenerations,
                                          SamplingParams params, SamplingProgress progress) {
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
                CompletionText text = textStreams == null ? null
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
        float[] logits = new float[rows * vocab];
        readLogits(model.prefill(prefillCache, TokenBatch.of(promptIds)), logits, numPrompts * vocab);
        for (int r = rows - 1; r >= 0; r--) {
            // Expand in place from the back: row r takes prefill row r / G, which sits at or before it.
            System.arraycopy(logits, (r / numGenerations) * vocab, logits, r * vocab, vocab);
        }
        int capacity = Math.min(config.maxPositions, longest + maxNew - 1);
        KvCache cache = model.newKvCache(rows, capacity);
        for (int r = 0; r < rows; r++) {
            cache.copyRow(prefillCache, r / numGenerations, r);
        }
        prefillCache.close();

        NextTokenSampler chooser = new NextTokenSampler(vocab, params);
        // Without top-k/top-p the backend draws the tokens (Ops.sampleRows, the same arithmetic as the chooser):
        // a GPU then sends back one pick per row instead of the [rows, vocab] logits of every step. Each
        // sequence's generator still draws once per token, so the same seed gives the same draws.
        boolean picksOnBackend = params.isGreedy() || ((params.topK() == 0 || params.topK() >= vocab)
                && params.topP() >= 1);
        double invTemperature = params.isGreedy() ? 1.0 : 1.0 / params.temperature();
        int[] picked = new int[rows];
        double[] pickedLogProb = new double[rows];
        double[] uniforms = new double[rows];
        boolean havePicks = false;
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
                int token;
                double logProb;
                if (havePicks) {
                    token = picked[r];
                    logProb = pickedLogProb[r];
                } else {
                    token = chooser.next(logits, r * vocab, s.rng);
                    logProb = chooser.lastLogProb();
                }
                sampled++;
                if (s.accept(token, logProb)) {
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
                return seqs;
            }
            if (alive * 2 <= cacheRows) {
                // Move the live rows into a smaller cache: decoding cost is proportional to the rows.
                KvCache smaller = model.newKvCache(alive, cache.capacity());
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
            if (picksOnBackend) {
                INDArray next = model.decodeStep(cache, tokens, live);
                for (int r = 0; r < cacheRows; r++) {
                    uniforms[r] = live[r] && !params.isGreedy() ? seqs[rowSeq[r]].rng.nextDouble() : 0.0;
                }
                model.ops().sampleRows(next, cacheRows, invTemperature, params.isGreedy(), uniforms, picked,
                        pickedLogProb);
                havePicks = true;
            } else {
                readLogits(model.decode(cache, tokens, live), logits, cacheRows * vocab);
            }
        }
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

    /** One bulk copy of the first n logits into dst (no per-row views or per-step arrays). */
    private static void readLogits(INDArray logits, float[] dst, int n) {
        int offset = Math.toIntExact(logits.offset());
        if (logits.dataType() == DataType.FLOAT) {
            logits.data().asNioFloat().get(offset, dst, 0, n);
        } else {
            var buf = logits.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                dst[i] = (float) buf.get(offset + i);
            }
        }
    }

    private static int roundUp(int n) {
        return (n + PREFILL_BUCKET - 1) / PREFILL_BUCKET * PREFILL_BUCKET;
    }
}
