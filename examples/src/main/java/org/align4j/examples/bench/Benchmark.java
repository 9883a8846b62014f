package org.align4j.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.align4j.grpo.GrpoConfig;
import org.align4j.grpo.GrpoTrainer;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.LoraConfig;
import org.align4j.policy.ops.cuda.CudaOps;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.model.TorchDtype;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.ProfilingOps;
import org.align4j.policy.sft.SftConfig;
import org.align4j.policy.train.Optimization;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * `align4j bench`: training tokens/s (forward + backward + AdamW), sampling tokens/s (batched KV-cache
 * decoding of G completions per prompt), one GRPO step's time split, and the machine's measured SGEMM
 * rate as the roofline's ceiling. Each number is the median of several timed repetitions after warm-up. The model
 * is a Llama-style one of the shape's sizes, or random weights of any config.json this engine loads
 * ({@link #readModelConfig}).
 */
public final class Benchmark {
    private final BenchShape s;
    private final int repeats;
    private final ProfilingOps profile;
    /** LoRA adapters put on the model (training then updates only them; sampling runs them unmerged), or null. */
    private final LoraConfig lora;
    private final ModelSettings settings;
    /** The GPU backend under any profiling wrapper, for peak device memory; null on the CPU. */
    private final CudaOps cuda;
    /** The model of a config.json (random weights), or null for the shape's Llama-style model. */
    private final ModelConfig modelConfig;
    /** Token ids drawn for training batches and prompts lie below this (the model's vocabulary). */
    private final int vocab;

    /**
     * The model settings that trade memory for time (transformers' and align4j's names: attn_implementation,
     * gradient_checkpointing, lm_head_chunk_size, which leave results unchanged; bf16, mixed precision, which rounds
     * products to bf16 inputs), the shape's embedding tying and the measurements to take.
     */
    public record ModelSettings(String attnImplementation, boolean gradientCheckpointing, int lmHeadChunkSize,
                                boolean bf16, boolean tieWordEmbeddings, java.util.Set<String> phases) {
        /** The measurements bench can take, in the order it takes them. */
        public static final List<String> PHASES = List.of("train", "sample", "grpo");
        public static final ModelSettings DEFAULT = new ModelSettings(CausalLM.EAGER, false, -1, false, true,
                java.util.Set.copyOf(PHASES));

        public ModelSettings {
            for (String p : phases) {
                if (!PHASES.contains(p)) {
                    throw new IllegalArgumentException("unknown bench phase '" + p + "' (known: "
                            + String.join(", ", PHASES) + ")");
                }
            }
            phases = java.util.Set.copyOf(phases);
        }
    }

    /**
     * A config.json of any architecture this engine loads (Llama, Qwen2, DeepSeek-V2/V3) for the benchmark's random
     * model. Its bos/eos token ids become the benchmark tokenizer's (none, and 2 as for the shape's model): the
     * random weights are paired with a byte-level tokenizer of the config's vocabulary. Bad input is one line naming
     * the file.
     */
    public static ModelConfig readModelConfig(Path file) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new BadInputException(file + ": cannot read the model config: " + why, e);
        }
        if (n == null || !n.isObject()) {
            throw new BadInputException(file + ": not a JSON object (expected a Hugging Face config.json)");
        }
        ObjectNode o = ((ObjectNode) n).deepCopy();
        o.putNull("bos_token_id");
        o.put("eos_token_id", 2);
        ModelConfig c;
        try {
            c = ModelConfig.fromJson(o);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage(), e);
        }
        if (c.vocabSize < 300) {
            throw new BadInputException(file + ": vocab_size " + c.vocabSize + " is below the benchmark's 300 "
                    + "(its byte-level tokenizer has 259 tokens)");
        }
        return c;
    }

    /** With profile, per-operation times of the training and the sampling measurements go into the result. */
    public Benchmark(BenchShape shape, int repeats, boolean profile) {
        this(shape, repeats, profile, null, ModelSettings.DEFAULT);
    }

    /** With lora, the measurements are those of the model with these adapters (B drawn non-zero). */
    public Benchmark(BenchShape shape, int repeats, boolean profile, LoraConfig lora, ModelSettings settings) {
        this(shape, null, repeats, profile, lora, settings);
    }

    /**
     * With modelConfig (see {@link #readModelConfig}), the model is random weights of that config and the shape
     * gives only the workload (batch, seq, prompts, group, prompt_len, new_tokens); its model sizes and
     * settings.tieWordEmbeddings are not used.
     */
    public Benchmark(BenchShape shape, ModelConfig modelConfig, int repeats, boolean profile, LoraConfig lora,
                     ModelSettings settings) {
        this.modelConfig = modelConfig;
        this.vocab = modelConfig != null ? modelConfig.vocabSize : shape.vocab();
        if (modelConfig != null) {
            int longest = Math.max(shape.seq(), shape.promptLen() + shape.newTokens());
            if (longest > modelConfig.contextLimit()) {
                throw new IllegalArgumentException("the model's max_position_embeddings (" + modelConfig.maxPositions
                        + ") is shorter than the benchmark's sequences (" + longest + " tokens)");
            }
        }
        this.lora = lora;
        this.settings = settings;
        this.cuda = Ops.current() instanceof CudaOps c ? c : null;
        this.s = shape;
        this.repeats = repeats;
        this.profile = profile ? new ProfilingOps(Ops.current()) : null;
        if (this.profile != null) {
            Backends.use(this.profile);
        }
    }

    private void profileInto(ObjectNode out, String name) {
        if (profile == null) {
            return;
        }
        ObjectNode p = out.with("profile_ms").putObject(name);
        profile.report().forEach((op, v) -> p.put(op, round(v[0])));
        profile.reset();
    }

    public ObjectNode run() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        ModelConfig config = modelConfig != null ? modelConfig
                : new ModelConfig(ModelConfig.LLAMA, s.vocab(), s.d(), s.ffn(), s.layers(), s.heads(),
                s.kvHeads(), s.d() / s.heads(), Math.max(s.seq(), s.promptLen() + s.newTokens() + 8), 1e-6, 10000.0,
                settings.tieWordEmbeddings(), false, null, new int[] {2});
        CausalLM model = CausalLM.initialize(config, DataType.FLOAT, 1, Ops.current());
        model.setAttnImplementation(settings.attnImplementation());
        model.setGradientCheckpointing(settings.gradientCheckpointing());
        model.setLmHeadChunkSize(settings.lmHeadChunkSize());
        out.put("backend", Ops.current().name());
        out.putObject("model_settings").put("attn_implementation", settings.attnImplementation())
                .put("gradient_checkpointing", settings.gradientCheckpointing())
                .put("lm_head_chunk_size", settings.lmHeadChunkSize()).put("bf16", settings.bf16());
        out.put("params", model.parameterCount());
        out.put("active_params", config.activeParameterCount());
        out.put("architecture", config.architecture);
        out.put("tie_word_embeddings", config.tieWordEmbeddings);
        // The GRPO step trains a saved copy of the base model (with its own adapters when lora is set).
        Path grpoDir = settings.phases().contains("grpo") ? saveForGrpo(model) : null;
        long adapterParams = 0;
        if (lora != null) {
            model.addAdapters(lora, null, 1);
            Nd4j.getRandom().setSeed(2);
            long trainable = 0;
            for (var p : model.parameters()) {
                trainable += p.size();
                if (p.name().endsWith("lora_B.weight")) {
                    INDArray b = Nd4j.randn(DataType.FLOAT, p.value().shape()).muli(0.01);
                    model.ops().copy(b, p.value());
                }
            }
            out.putObject("lora").put("r", lora.r()).put("targets", String.join(",", lora.targets()))
                    .put("adapted_layers", model.adaptedModules().size()).put("trainable_params", trainable);
            adapterParams = trainable;
        }
        boolean measured = settings.phases().contains("train") || settings.phases().contains("sample");
        if (settings.bf16() && measured) { // (a GRPO-only run never puts this copy on the device)
            // frozen (LoRA base) weights bf16 only, trainable ones with a bf16 working copy; nothing of this model is
            // trained without the train phase (GRPO trains its own copy), so then all weights are bf16 only: a
            // 15.7B model samples from 29 GiB of weights instead of 88
            model.storeInBf16(!settings.phases().contains("train"));
        }
        if (settings.bf16()) {
            model.ops().useBf16Products(true); // as TrainingConfig.applyBf16: the GRPO phase's trainer does it too
        }
        out.put("gemm_gflops", round(gemmGflops()));
        if (profile != null) {
            profile.reset();
        }
        if (settings.phases().contains("train")) {
            resetPeak();
            double train = trainTokensPerSecond(model);
            profileInto(out, "train");
            out.put("train_tokens_per_s", round(train));
            putPeak(out, "train_peak_gpu_gib");
            putWeightBytes(out, model);
            double flopsPerToken = trainFlopsPerToken(config.activeParameterCount(), adapterParams);
            out.put("train_model_flops_per_token", flopsPerToken);
            out.put("train_roofline_fraction", round(flopsPerToken * train / 1e9 / out.get("gemm_gflops").asDouble()));
        }
        if (settings.phases().contains("sample")) {
            if (settings.phases().contains("train")) {
                // the sampling peak is sampling's own: the training step's cached activation buffers go, and its
                // optimizer state (unreachable now) with resetPeak's collection; weights and their gradients stay,
                // as bench/torch_gpu_bench.py keeps them
                model.releaseBuffers();
            }
            resetPeak();
            out.put("sample_tokens_per_s", round(sampleTokensPerSecond(model)));
            profileInto(out, "sample");
            putPeak(out, "sample_peak_gpu_gib");
        }
        if (settings.phases().contains("grpo")) {
            ObjectNode grpo = out.putObject("grpo_step_seconds");
            Path dir = grpoDir;
            // The trainer loads its own copy: the benchmark's model (and its device memory) must be gone first,
            // or a 7B shape holds two policies.
            model = null;
            resetPeak();
            grpoStep(dir, grpo);
            putPeak(out, "grpo_peak_gpu_gib");
        }
        ObjectNode shape = out.putObject("shape");
        shape.put("d", config.hiddenSize).put("layers", config.numLayers).put("heads", config.numHeads)
                .put("kv_heads", config.numKvHeads).put("ffn", config.intermediateSize).put("vocab", config.vocabSize)
                .put("batch", s.batch()).put("seq", s.seq())
                .put("prompts", s.prompts()).put("group", s.group()).put("prompt_len", s.promptLen())
                .put("new_tokens", s.newTokens());
        if (config.mla != null) {
            shape.put("kv_lora_rank", config.mla.kvLoraRank()).put("q_lora_rank", config.mla.qLoraRank());
        }
        if (config.moe != null) {
            shape.put("routed_experts", config.moe.nRoutedExperts()).put("experts_per_tok",
                    config.moe.numExpertsPerTok()).put("shared_experts", config.moe.nSharedExperts())
                    .put("moe_intermediate_size", config.moe.moeIntermediateSize());
        }
        out.put("threads", System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        return out;
    }

    /** Starts a phase's peak from what is still reachable: buffers dropped before it are collected first. */
    private void resetPeak() {
        if (cuda != null) {
            System.gc();
            System.gc();
            cuda.resetPeakBytes();
        }
    }

    /** The most device memory live arrays held since the last resetPeak (the model's weights included). */
    private void putPeak(ObjectNode out, String key) {
        if (cuda != null) {
            out.put(key, round(cuda.deviceBytes()[2] / (double) (1L << 30)));
        }
    }

    /** Device memory of the model's weights (bf16 copies included), every one mirrored by now; GPU only. */
    private void putWeightBytes(ObjectNode out, CausalLM model) {
        if (cuda != null) {
            long bytes = 0;
            for (INDArray w : model.weights().values()) {
                bytes += cuda.deviceBytesOf(w);
            }
            for (INDArray w : model.adapterWeights().values()) {
                bytes += cuda.deviceBytesOf(w);
            }
            out.put("weights_gpu_gib", round3(bytes / (double) (1L << 30)));
        }
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    /**
     * SGEMM into a preallocated output on the current backend (1024^3 on the CPU, 4096^3 on a GPU), as the
     * matrix-multiply ceiling of this machine.
     */
    static double gemmGflops() {
        Ops ops = Ops.current();
        int n = ops.name().startsWith("cpu") ? 1024 : 4096;
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        for (int i = 0; i < 3; i++) {
            ops.gemm(a, b, c, false, false, 1, 0);
        }
        List<Double> rates = new ArrayList<>();
        for (int r = 0; r < 5; r++) {
            long t = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                ops.gemm(a, b, c, false, false, 1, 0);
            }
            barrier(ops, c);
            rates.add(4 * 2.0 * n * n * n / ((System.nanoTime() - t) / 1e9) / 1e9);
        }
        return median(rates);
    }

    private double trainTokensPerSecond(CausalLM model) {
        Random r = new Random(1);
        int[][] ids = new int[s.batch()][s.seq()];
        for (int[] row : ids) {
            for (int t = 0; t < row.length; t++) {
                row[t] = r.nextInt(vocab);
            }
        }
        TokenBatch batch = TokenBatch.of(ids);
        double[][] grad = new double[s.batch()][s.seq() - 1];
        for (double[] g : grad) {
            java.util.Arrays.fill(g, -1.0 / (s.batch() * (s.seq() - 1)));
        }
        SftConfig cfg = new SftConfig();
        cfg.learningRate = 1e-4;
        cfg.lrSchedulerType = "constant";
        Optimization opt = new Optimization(model.parameters(), cfg, 1000, model.ops());
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < repeats + 1; i++) {
            long t = System.nanoTime();
            model.forward(batch).backward(grad);
            opt.step(i);
            barrier(model.ops(), model.parameters().get(0).grad());
            double secs = (System.nanoTime() - t) / 1e9;
            if (i > 0) {
                rates.add(s.batch() * (double) s.seq() / secs);
            }
        }
        return median(rates);
    }

    /**
     * Waits for a device backend's queued work before the clock is read: reducing a row of x returns only
     * once everything before it has run (on the CPU it is a few microseconds of arithmetic).
     */
    private static void barrier(Ops ops, INDArray x) {
        ops.sumSquares(x.rank() > 1 ? x.getRow(0) : x);
    }

    /**
     * Model FLOPs of training one token, the numerator of model FLOPs utilisation: 2 per active parameter forward and 4
     * backward (input and weight gradients), 6 in all, counting only the experts a token is routed to; with LoRA the
     * frozen base weights get input gradients only (2 + 2) and the adapters all six. Recomputation under gradient
     * checkpointing is not counted (it is work the model did not need), nor attention's own products, as in the
     * usual 6N convention.
     */
    static double trainFlopsPerToken(long activeParams, long adapterParams) {
        return adapterParams == 0 ? 6.0 * activeParams : 4.0 * activeParams + 6.0 * adapterParams;
    }

    private double sampleTokensPerSecond(CausalLM model) {
        List<Prompt> prompts = randomPrompts(new Random(2));
        Sampler sampler = new Sampler(model, null, s.prompts() * s.group());
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < repeats + 1; i++) {
            long t = System.nanoTime();
            long tokens = sampler.sample(prompts, s.group(), SamplingParams.DEFAULTS
                    .withMaxCompletionLength(s.newTokens()).withSeed(i)).stream()
                    .flatMap(g -> g.completions().stream()).mapToLong(c -> c.length()).sum();
            double secs = (System.nanoTime() - t) / 1e9;
            if (i > 0) {
                rates.add(tokens / secs);
            }
        }
        return median(rates);
    }

    private List<Prompt> randomPrompts(Random r) {
        List<Prompt> prompts = new ArrayList<>();
        for (int p = 0; p < s.prompts(); p++) {
            int[] ids = new int[s.promptLen()];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = 3 + r.nextInt(vocab - 3);
            }
            prompts.add(Prompt.ofIds("p" + p, ids));
        }
        return prompts;
    }

    /**
     * Runs GrpoTrainer for a few steps on a temporary copy of the model (with a byte-level tokenizer of the
     * benchmark's vocabulary) and reports the median step's split between rollout, reward and update.
     */
    private Path saveForGrpo(CausalLM model) {
        try {
            Path dir = Files.createTempDirectory("align4j-bench");
            Path modelDir = dir.resolve("model");
            if (settings.bf16()) {
                // the trainer holds the weights in bf16 anyway: half the disk and load time (31 GB, not 63, for
                // DeepSeek-V2-Lite)
                model.setCheckpointDtype(TorchDtype.BFLOAT16);
            }
            HfCheckpoint.save(model, modelDir, null);
            BenchTokenizer.write(modelDir, vocab);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void grpoStep(Path dir, ObjectNode out) {
        try {
            Path modelDir = dir.resolve("model");
            Path prompts = dir.resolve("prompts.jsonl");
            StringBuilder sb = new StringBuilder();
            Random r = new Random(3);
            for (int p = 0; p < s.prompts(); p++) {
                StringBuilder text = new StringBuilder();
                for (int t = 0; t < s.promptLen(); t++) {
                    text.append((char) ('a' + r.nextInt(26)));
                }
                sb.append("{\"prompt\": \"").append(text).append("\", \"answer\": \"42\"}\n");
            }
            AtomicFiles.writeString(prompts, sb.toString());
            GrpoConfig c = new GrpoConfig();
            c.modelNameOrPath = modelDir.toString();
            c.trainFile = prompts.toString();
            c.outputDir = dir.resolve("run").toString();
            c.numGenerations = s.group();
            c.batchSize = Math.min(16, s.prompts() * s.group());
            c.gradientAccumulationSteps = s.prompts() * s.group() / c.batchSize;
            c.maxPromptLength = s.promptLen();
            c.maxCompletionLength = s.newTokens();
            c.maxSteps = repeats + 1;
            c.saveSteps = 0;
            c.loggingSteps = 1; // one metrics line (with the timings) per step: GRPO honours logging_steps
            c.bf16 = settings.bf16();
            c.rewards = new ArrayList<>(List.of(new java.util.LinkedHashMap<>(Map.of("type", "math_answer"))));
            c.attnImplementation = settings.attnImplementation();
            c.gradientCheckpointing = settings.gradientCheckpointing();
            c.lmHeadChunkSize = settings.lmHeadChunkSize();
            if (lora != null) {
                c.usePeft = true;
                c.loraR = lora.r();
                c.loraAlpha = lora.alpha();
                c.loraDropout = 0;
                c.loraTargetModules = new ArrayList<>(lora.targets());
            }
            new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
            List<Double> rollout = new ArrayList<>();
            List<Double> reward = new ArrayList<>();
            List<Double> update = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            List<String> lines = Files.readAllLines(dir.resolve("run").resolve("metrics.jsonl"));
            for (String line : lines.subList(1, lines.size())) {
                var n = json.readTree(line);
                rollout.add(n.get("timing/rollout_s").asDouble());
                reward.add(n.get("timing/reward_s").asDouble());
                update.add(n.get("timing/update_s").asDouble());
            }
            double ro = median(rollout);
            double re = median(reward);
            double up = median(update);
            out.put("total", round3(ro + re + up));
            out.put("rollout", round3(ro));
            out.put("reward", round3(re));
            out.put("update", round3(up));
            out.put("completions", s.prompts() * s.group());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            AtomicFiles.deleteRecursively(dir);
        }
    }

    private static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    static double median(List<Double> xs) {
        List<Double> sorted = new ArrayList<>(xs);
        sorted.sort(Double::compare);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

}
