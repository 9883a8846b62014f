package org.align4j.policy.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A decoder-only language model with hand-written forward and backward passes: Llama/Qwen2 (grouped-query
 * attention, SwiGLU) or DeepSeek-V2/V3 (multi-head latent attention, DeepSeekMoE). Parameters are named and
 * shaped as in Hugging Face checkpoints. Not thread-safe: one thread drives a model; use {@link #copy()} for a
 * second one (a frozen reference, or a sampler beside a trainer).
 *
 * <p>DeepSeek-V3 checkpoints may hold multi-token-prediction modules as layers num_hidden_layers and beyond
 * (model.layers.61.* in the released V3); transformers does not build them and ignores those tensors on load, and
 * so does this class: they only serve MTP training and speculative decoding. A saved model does not have them.
 */
public final class CausalLM {
    /** Padded widths are rounded up to this so that few buffer sets are ever allocated. */
    private static final int WIDTH_BUCKET = 8;
    private static final int MAX_WORKSPACES = 3;

    private final ModelConfig config;
    private final DataType dtype;
    private final Ops ops;
    private final Map<String, Parameter> params;
    /** Non-trainable tensors saved with the weights (DeepSeek-V3's e_score_correction_bias). */
    private final Map<String, Parameter> buffers = new LinkedHashMap<>();
    /** Whether tensors are created (initialize) rather than taken from a checkpoint. */
    private final boolean randomInit;
    /** Whether the given weight arrays become the parameters themselves (a loader's fresh arrays) instead of copies. */
    private final boolean adopt;
    private final Parameter embed;
    private final Parameter head;
    private final DecoderLayer[] layers;
    private final RmsNorm finalNorm;
    private final LmHead lmHead;
    private final RotaryEmbedding rope;
    private final LinkedHashMap<Long, Workspace> workspaces = new LinkedHashMap<>(8, 0.75f, true);
    private final Map<Workspace, Long> generations = new java.util.IdentityHashMap<>();
    private long generation;
    private double moeAuxLossWeight;
    private double auxFreeBiasUpdateSpeed;
    /** Sums of the per-update load statistics since the last {@link #takeMoeLoadMetrics()}, and their count. */
    private double loadMaxSum;
    private double loadCvSum;
    private int loadUpdates;
    private boolean gradientCheckpointing;
    /** Every linear layer PEFT can adapt, by module name (model.layers.0.self_attn.q_proj), in model order. */
    private final Map<String, Linear> linears = new LinkedHashMap<>();
    /** The LoRA adapters, or null for a model trained in full. */
    private LoraAdapters adapters;
    /** Whether teacher-forced passes apply LoRA dropout (training passes; not scoring or sampling). */
    private boolean training;
    private long pinnedPass = -1;
    private String attnImplementation = EAGER;
    /** Mixed precision: null (float32), FALSE (bf16 working copies of trainable weights), TRUE (all frozen). */
    private Boolean bf16Frozen;
    /** The element type of the checkpoint this model came from, which it is saved as again. */
    private TorchDtype checkpointDtype = TorchDtype.FLOAT32;
    /** transformers' attn_implementation values understood here. */
    public static final String EAGER = "eager";
    public static final String FLASH_ATTENTION_2 = "flash_attention_2";

    /** From named weights, or (weights null) freshly initialised ones (see {@link #initialize}). */
    private CausalLM(ModelConfig config, DataType dtype, Ops ops, Map<String, INDArray> weights) {
        this(config, dtype, ops, weights, false);
    }

    private CausalLM(ModelConfig config, DataType dtype, Ops ops, Map<String, INDArray> weights, boolean adopt) {
        this.adopt = adopt;
        this.config = config;
        this.dtype = dtype;
        this.ops = ops;
        this.params = new LinkedHashMap<>();
        this.randomInit = weights == null;
        this.rope = new RotaryEmbedding(config);
        Map<String, INDArray> remaining = new LinkedHashMap<>(randomInit ? Map.of() : weights);
        dropMultiTokenPredictionLayers(remaining);
        embed = take(remaining, "model.embed_tokens.weight", config.vocabSize, config.hiddenSize);
        layers = new DecoderLayer[config.numLayers];
        int d = config.hiddenSize;
        for (int l = 0; l < config.numLayers; l++) {
            String p = "model.layers." + l + ".";
            RmsNorm n1 = new RmsNorm(ops, take(remaining, p + "input_layernorm.weight", d), config.rmsNormEps);
            AttentionBlock attn = config.mla != null ? latentAttention(remaining, p) : attention(remaining, p);
            RmsNorm n2 = new RmsNorm(ops, take(remaining, p + "post_attention_layernorm.weight", d), config.rmsNormEps);
            FeedForwardBlock ffn = config.moe != null && config.moe.isMoeLayer(l) ? moe(remaining, p + "mlp.")
                    : swiGlu(remaining, p + "mlp.", config.intermediateSize);
            layers[l] = new DecoderLayer(ops, n1, attn, n2, ffn);
        }
        finalNorm = new RmsNorm(ops, take(remaining, "model.norm.weight", d), config.rmsNormEps);
        if (config.tieWordEmbeddings) {
            remaining.remove("lm_head.weight");
            head = embed;
        } else {
            head = take(remaining, "lm_head.weight", config.vocabSize, d);
        }
        lmHead = new LmHead(ops, head, config.vocabSize, d);
        if (!remaining.isEmpty()) {
            throw new IllegalArgumentException("unexpected tensor '" + remaining.keySet().iterator().next()
                    + "' for " + config.architecture + " (" + remaining.size() + " unexpected in all)");
        }
    }

    /** Removes DeepSeek-V3's MTP modules (layers num_hidden_layers and beyond), which are not part of the LM. */
    private void dropMultiTokenPredictionLayers(Map<String, INDArray> w) {
        w.keySet().removeIf(name -> isMultiTokenPrediction(config, name));
    }

    /** Whether a checkpoint tensor belongs to DeepSeek-V3's MTP modules, which the model drops (a loader may skip it). */
    static boolean isMultiTokenPrediction(ModelConfig config, String name) {
        for (int i = 0; i < config.nextnPredictLayers; i++) {
            if (name.startsWith("model.layers." + (config.numLayers + i) + ".")) {
                return true;
            }
        }
        return false;
    }

    private Attention attention(Map<String, INDArray> w, String p) {
        int qw = config.numHeads * config.headDim;
        int kvw = config.numKvHeads * config.headDim;
        int d = config.hiddenSize;
        Linear q = linear(w, p + "self_attn.q_proj", qw, d, config.qkvBias);
        Linear k = linear(w, p + "self_attn.k_proj", kvw, d, config.qkvBias);
        Linear v = linear(w, p + "self_attn.v_proj", kvw, d, config.qkvBias);
        Linear o = linear(w, p + "self_attn.o_proj", d, qw, false);
        return new Attention(ops, config, rope, q, k, v, o);
    }

    private LatentAttention latentAttention(Map<String, INDArray> w, String p) {
        MlaConfig m = config.mla;
        int d = config.hiddenSize;
        int h = config.numHeads;
        boolean bias = m.attentionBias();
        String a = p + "self_attn.";
        Linear qA = null;
        RmsNorm qANorm = null;
        Linear qB;
        if (m.qLoraRank() > 0) {
            qA = linear(w, a + "q_a_proj", m.qLoraRank(), d, bias);
            qANorm = new RmsNorm(ops, take(w, a + "q_a_layernorm.weight", m.qLoraRank()), MlaConfig.LATENT_NORM_EPS);
            qB = linear(w, a + "q_b_proj", h * m.qkHeadDim(), m.qLoraRank(), false);
        } else {
            qB = linear(w, a + "q_proj", h * m.qkHeadDim(), d, false);
        }
        Linear kvA = linear(w, a + "kv_a_proj_with_mqa", m.cachedDimsPerToken(), d, bias);
        RmsNorm kvANorm = new RmsNorm(ops, take(w, a + "kv_a_layernorm.weight", m.kvLoraRank()),
                MlaConfig.LATENT_NORM_EPS);
        Linear kvB = linear(w, a + "kv_b_proj", h * (m.qkNopeHeadDim() + m.vHeadDim()), m.kvLoraRank(), false);
        Linear o = linear(w, a + "o_proj", d, h * m.vHeadDim(), bias);
        return new LatentAttention(ops, config, rope, qA, qANorm, qB, kvA, kvANorm, kvB, o);
    }

    private SwiGluMlp swiGlu(Map<String, INDArray> w, String p, int width) {
        int d = config.hiddenSize;
        Linear gate = linear(w, p + "gate_proj", width, d, false);
        Linear up = linear(w, p + "up_proj", width, d, false);
        Linear down = linear(w, p + "down_proj", d, width, false);
        return new SwiGluMlp(ops, gate, up, down);
    }

    private MoeFeedForward moe(Map<String, INDArray> w, String p) {
        MoeConfig m = config.moe;
        Linear router = linear(w, p + "gate", m.nRoutedExperts(), config.hiddenSize, false);
        linears.remove(p + "gate"); // transformers' router is not an nn.Linear, so PEFT does not adapt it
        Parameter bias = m.hasCorrectionBias() ? buffer(w, p + "gate.e_score_correction_bias", m.nRoutedExperts())
                : null;
        SwiGluMlp[] experts = new SwiGluMlp[m.nRoutedExperts()];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = swiGlu(w, p + "experts." + e + ".", m.moeIntermediateSize());
        }
        SwiGluMlp shared = m.nSharedExperts() > 0
                ? swiGlu(w, p + "shared_experts.", m.moeIntermediateSize() * m.nSharedExperts()) : null;
        return new MoeFeedForward(ops, m, router, bias, experts, shared);
    }

    /** A model on the given backend from named weights (Hugging Face names and shapes); every tensor must be there. */
    public static CausalLM fromWeights(ModelConfig config, Map<String, INDArray> weights, DataType dtype, Ops ops) {
        return new CausalLM(config, dtype, ops, weights);
    }

    /**
     * As {@link #fromWeights(ModelConfig, Map, DataType, Ops)}, but the arrays that are already of type dtype and whole
     * C-ordered buffers become the parameters themselves, not copies (a loader's fresh arrays, filled through the
     * backend: no second copy of the model exists while it loads). The caller must not use them afterwards.
     */
    static CausalLM adoptingWeights(ModelConfig config, Map<String, INDArray> weights, DataType dtype, Ops ops) {
        return new CausalLM(config, dtype, ops, weights, true);
    }

    /** {@link #fromWeights(ModelConfig, Map, DataType, Ops)} on the CPU backend. */
    public static CausalLM fromWeights(ModelConfig config, Map<String, INDArray> weights, DataType dtype) {
        return fromWeights(config, weights, dtype, Ops.cpu());
    }

    /**
     * A freshly initialised model: normal(0, 0.02) weights (output projections scaled by
     * 1/sqrt(2 * layers), as GPT-2 does), unit norm gains, zero biases; on the given backend.
     */
    public static CausalLM initialize(ModelConfig config, DataType dtype, long seed, Ops ops) {
        Nd4j.getRandom().setSeed(seed);
        return new CausalLM(config, dtype, ops, null);
    }

    /** {@link #initialize(ModelConfig, DataType, long, Ops)} on the CPU backend. */
    public static CausalLM initialize(ModelConfig config, DataType dtype, long seed) {
        return initialize(config, dtype, seed, Ops.cpu());
    }

    /**
     * A tensor as {@link #initialize} makes it, in the order the model takes them (so Llama weights are drawn as
     * they always were): norm gains 1, biases (and the correction bias) 0, output projections (o_proj, down_proj)
     * normal(0, 0.02 / sqrt(2 * layers)), everything else normal(0, 0.02).
     */
    private INDArray initialTensor(String name, long... shape) {
        if (name.endsWith("norm.weight") || name.endsWith("layernorm.weight")) {
            return Nd4j.ones(dtype, shape);
        }
        if (name.endsWith(".bias") || name.endsWith("e_score_correction_bias")) {
            return Nd4j.zeros(dtype, shape);
        }
        double std = 0.02;
        if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
            std /= Math.sqrt(2.0 * config.numLayers);
        }
        return Nd4j.randn(dtype, shape).muli(std);
    }

    private Parameter take(Map<String, INDArray> w, String name, long... shape) {
        Parameter p = tensor(w, name, shape);
        params.put(name, p);
        return p;
    }

    /** A tensor that is saved and copied with the weights but not trained (no gradient, not in parameters()). */
    private Parameter buffer(Map<String, INDArray> w, String name, long... shape) {
        Parameter p = tensor(w, name, shape);
        buffers.put(name, p);
        return p;
    }

    private Parameter tensor(Map<String, INDArray> w, String name, long... shape) {
        INDArray a = randomInit ? initialTensor(name, shape) : w.remove(name);
        if (a == null) {
            throw new IllegalArgumentException("missing tensor '" + name + "'");
        }
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(a.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        boolean whole = a.dataType() == dtype && !a.isView() && a.offset() == 0 && a.ordering() == 'c'
                && a.data().length() == a.length();
        INDArray value = adopt && whole ? a : a.castTo(dtype).dup('c');
        return Parameter.lazy(name, value);
    }

    private Linear linear(Map<String, INDArray> w, String prefix, int out, int in, boolean bias) {
        Parameter weight = take(w, prefix + ".weight", out, in);
        Parameter b = bias ? take(w, prefix + ".bias", out) : null;
        Linear l = new Linear(ops, weight, b);
        linears.put(prefix, l);
        return l;
    }

    public ModelConfig config() {
        return config;
    }

    public DataType dataType() {
        return dtype;
    }

    public Ops ops() {
        return ops;
    }

    /**
     * Trainable parameters, each once (a tied head shares the embedding): with LoRA adapters, only the adapters'
     * tensors (lora_A, lora_B per adapted module); otherwise every weight.
     */
    public List<Parameter> parameters() {
        if (adapters != null) {
            return Collections.unmodifiableList(adapters.parameters());
        }
        return Collections.unmodifiableList(new ArrayList<>(params.values()));
    }

    /** A weight by its checkpoint name, or an adapter tensor by its name (module + ".lora_A.weight"). */
    public Parameter parameter(String name) {
        Parameter p = params.get(name);
        if (p == null && adapters != null) {
            for (Parameter a : adapters.parameters()) {
                if (a.name().equals(name)) {
                    p = a;
                }
            }
        }
        if (p == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'");
        }
        return p;
    }

    /**
     * Named weights as stored in a checkpoint (live arrays, not copies), with their host copies made
     * current, for reading: the parameters, then non-trainable buffers (DeepSeek-V3's e_score_correction_bias).
     * Code that changes them outside {@link Ops} does it through {@link #editWeights}.
     */
    public Map<String, INDArray> weights() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        params.forEach((k, p) -> {
            ops.toHost(p.value());
            w.put(k, p.value());
        });
        buffers.forEach((k, p) -> {
            ops.toHost(p.value());
            w.put(k, p.value());
        });
        return w;
    }

    /**
     * Changes the weights through their host arrays: edit gets {@link #weights()} (current on the host) and the
     * backend takes whatever it wrote as the newer copy (see {@link Ops#editOnHost}).
     */
    public void editWeights(Consumer<Map<String, INDArray>> edit) {
        Map<String, INDArray> w = weights();
        ops.editOnHost(() -> edit.accept(w), w.values().toArray(new INDArray[0]));
    }

    public long parameterCount() {
        long n = 0;
        for (Parameter p : params.values()) {
            n += p.size();
        }
        return n;
    }

    public void zeroGrad() {
        for (Parameter p : parameters()) {
            ops.zero(p.grad());
        }
    }

    /** An independent model with the same weights and adapters (for a frozen reference or a sampler). */
    public CausalLM copy() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        weights().forEach((k, v) -> w.put(k, v.dup()));
        CausalLM m = new CausalLM(config, dtype, ops, w);
        m.setMoeAuxLossWeight(moeAuxLossWeight);
        m.setAuxFreeBiasUpdateSpeed(auxFreeBiasUpdateSpeed);
        m.setLmHeadChunkSize(lmHead.chunkSize());
        m.setGradientCheckpointing(gradientCheckpointing);
        if (adapters != null) {
            Map<String, INDArray> a = new LinkedHashMap<>();
            adapterWeights().forEach((k, v) -> a.put(k, v.dup()));
            m.addAdapters(adapters.config, a, 0);
            m.setAdaptersEnabled(adapters.enabled());
        }
        m.setAttnImplementation(attnImplementation);
        if (bf16Frozen != null) {
            m.storeInBf16(bf16Frozen);
        }
        m.setCheckpointDtype(checkpointDtype);
        return m;
    }

    /** The element type of the checkpoint this model was loaded from (float32 for a new model): saved as that. */
    public TorchDtype checkpointDtype() {
        return checkpointDtype;
    }

    public void setCheckpointDtype(TorchDtype t) {
        checkpointDtype = t == null ? TorchDtype.FLOAT32 : t;
    }

    /**
     * Mixed precision ({@code bf16: true}): every weight matrix is held in bf16 for the products and lookups that
     * read it ({@link Ops#holdInBf16}). Frozen ones (LoRA's base weights; all of them when frozen is true, as for a
     * reference model that is never trained) are kept in bf16 only; trainable ones stay float32 master weights (the
     * optimizer's) with a bf16 working copy. Norm gains and biases (vectors) stay float32. On the CPU backend frozen
     * weights are rounded to bf16 values and products stay float32 (an emulation that tests the numerics).
     */
    public void storeInBf16(boolean frozen) {
        if (dtype != DataType.FLOAT) {
            throw new IllegalStateException("bf16 needs a float32 model, this one is " + dtype);
        }
        bf16Frozen = frozen;
        for (Parameter p : params.values()) {
            if (p.value().rank() == 2) {
                ops.holdInBf16(p.value(), !frozen && p.trainable());
            }
        }
    }

    /** Whether the weight matrices are held in bf16 ({@link #storeInBf16}). */
    public boolean storedInBf16() {
        return bf16Frozen != null;
    }

    /**
     * Overwrites this model's weights (and buffers) with another's of the same architecture; with adapters on both,
     * only the adapters (the bases are frozen, so a sampler beside a LoRA trainer, made with {@link #copy()}, is
     * sent the adapters each step, not the model).
     */
    public void copyWeightsFrom(CausalLM other) {
        boolean frozenBases = adapters != null && other.adapters != null;
        if (!frozenBases) {
            for (Parameter p : params.values()) {
                ops.copy(other.params.get(p.name()).value(), p.value());
            }
        }
        for (Parameter p : buffers.values()) {
            ops.copy(other.buffers.get(p.name()).value(), p.value());
        }
        if (frozenBases) {
            copyAdaptersFrom(other);
        }
    }

    /** Overwrites this model's adapter tensors with another's (same adapted modules and rank). */
    public void copyAdaptersFrom(CausalLM other) {
        if (adapters == null || other.adapters == null) {
            throw new IllegalStateException("both models must have LoRA adapters");
        }
        for (LoraLayer l : adapters.layers.values()) {
            LoraLayer o = other.adapters.layers.get(l.module);
            if (o == null) {
                throw new IllegalArgumentException("the other model has no adapter on " + l.module);
            }
            ops.copy(o.a.value(), l.a.value());
            ops.copy(o.b.value(), l.b.value());
        }
    }

    // ---------------------------------------------------------------- LoRA

    /** Names of the linear layers an adapter can sit on (PEFT's module names), in model order. */
    public List<String> linearModules() {
        return List.copyOf(linears.keySet());
    }

    /**
     * Puts LoRA adapters on the linear layers the config selects and freezes every base weight (no gradients, not in
     * {@link #parameters()}). tensors, when not null, holds each adapted module's "MODULE.lora_A.weight" [r, in] and
     * "MODULE.lora_B.weight" [out, r], and nothing else; when null, A is drawn as PEFT does (Kaiming-uniform,
     * bound 1 / sqrt(in), from seed) and B is zero, so the adapted model starts equal to the base.
     */
    public void addAdapters(LoraConfig lora, Map<String, INDArray> tensors, long seed) {
        if (adapters != null) {
            throw new IllegalStateException("this model already has LoRA adapters");
        }
        List<String> modules = lora.select(linearModules());
        LoraAdapters ad = new LoraAdapters(lora, dtype);
        Map<String, INDArray> remaining = tensors == null ? null : new LinkedHashMap<>(tensors);
        long salt = 0;
        for (String module : modules) {
            Linear lin = linears.get(module);
            int in = lin.in();
            int out = lin.out();
            String an = module + ".lora_A.weight";
            String bn = module + ".lora_B.weight";
            INDArray a = remaining == null ? kaimingUniform(lora.r(), in, seed, salt) : adapterTensor(remaining, an, lora.r(), in);
            INDArray b = remaining == null ? Nd4j.zeros(dtype, out, lora.r()) : adapterTensor(remaining, bn, out, lora.r());
            Parameter pa = new Parameter(an, a.castTo(dtype).dup('c'), Nd4j.zeros(dtype, lora.r(), in));
            Parameter pb = new Parameter(bn, b.castTo(dtype).dup('c'), Nd4j.zeros(dtype, out, lora.r()));
            ad.layers.put(module, new LoraLayer(ad, ops, module, pa, pb, lora.scale(), lora.dropout(), ++salt));
        }
        if (remaining != null && !remaining.isEmpty()) {
            throw new IllegalArgumentException("adapter tensor '" + remaining.keySet().iterator().next()
                    + "' does not belong to an adapted linear layer of this model (target_modules "
                    + lora.targets() + ")");
        }
        for (LoraLayer l : ad.layers.values()) {
            linears.get(l.module).lora = l;
        }
        for (Parameter p : params.values()) {
            p.freeze();
            if (bf16Frozen != null && p.value().rank() == 2) {
                ops.holdInBf16(p.value(), false); // the bases are frozen now: bf16 only
            }
        }
        adapters = ad;
    }

    private INDArray adapterTensor(Map<String, INDArray> w, String name, long rows, long cols) {
        INDArray a = w.remove(name);
        if (a == null) {
            throw new IllegalArgumentException("adapter is missing tensor '" + name + "'");
        }
        if (a.rank() != 2 || a.size(0) != rows || a.size(1) != cols) {
            throw new IllegalArgumentException("adapter tensor '" + name + "' has shape " + Arrays.toString(a.shape())
                    + " but this base model needs " + Arrays.toString(new long[] {rows, cols})
                    + " (an adapter for a different base model?)");
        }
        return a;
    }

    /** PEFT's init of lora_A: kaiming_uniform_(a=sqrt(5)), i.e. uniform in +-1/sqrt(in). */
    private INDArray kaimingUniform(int rows, int cols, long seed, long salt) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(LoraAdapters.mix(seed * 31 + salt));
        double bound = 1.0 / Math.sqrt(cols);
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (2 * r.nextDouble() - 1) * bound;
        }
        return Nd4j.createFromArray(v).reshape(rows, cols).castTo(dtype);
    }

    public boolean hasAdapters() {
        return adapters != null;
    }

    /** The adapters' settings, or null without adapters. */
    public LoraConfig loraConfig() {
        return adapters == null ? null : adapters.config;
    }

    /** Modules that carry an adapter, in model order (empty without adapters). */
    public List<String> adaptedModules() {
        return adapters == null ? List.of() : List.copyOf(adapters.layers.keySet());
    }

    /**
     * Switches the adapters off (the base model: the reference policy of DPO and GRPO, as TRL's disable_adapter())
     * or back on. Without adapters this does nothing.
     */
    public void setAdaptersEnabled(boolean on) {
        if (adapters != null) {
            adapters.setEnabled(on);
        }
    }

    public boolean adaptersEnabled() {
        return adapters != null && adapters.enabled();
    }

    /** Whether teacher-forced passes apply LoRA dropout (on for the passes a trainer backpropagates). */
    public void setTraining(boolean on) {
        training = on;
    }

    /** For gradient checks: every training pass draws the dropout mask of this pass number (-1: each its own). */
    void pinDropoutPass(long pass) {
        pinnedPass = pass;
    }

    /** The adapter tensors by name (module + ".lora_A.weight"; live arrays, host copies made current). */
    public Map<String, INDArray> adapterWeights() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        if (adapters != null) {
            for (Parameter p : adapters.parameters()) {
                ops.toHost(p.value());
                w.put(p.name(), p.value());
            }
        }
        return w;
    }

    /**
     * The checkpoint weights with each adapter folded in (W + scale * B A, computed in float64 and rounded once to
     * the model's type); the base weights of this model are left unchanged.
     */
    public Map<String, INDArray> mergedWeights() {
        Map<String, INDArray> w = new LinkedHashMap<>(weights());
        if (adapters != null) {
            for (LoraLayer l : adapters.layers.values()) {
                ops.toHost(l.a.value());
                ops.toHost(l.b.value());
                String name = l.module + ".weight";
                INDArray base = w.get(name).castTo(DataType.DOUBLE).dup(); // castTo returns the array itself when already double
                INDArray delta = l.b.value().castTo(DataType.DOUBLE).mmul(l.a.value().castTo(DataType.DOUBLE));
                w.put(name, base.addi(delta.muli(l.scale)).castTo(dtype));
            }
        }
        return w;
    }

    // ---------------------------------------------------------------- DeepSeekMoE

    /**
     * Tokens routed to each expert, per MoE layer ([moe layer][expert], layers in order), counted over every pass
     * (training and decoding) since the last {@link #resetExpertLoad()}; empty for models without MoE layers.
     */
    public long[][] expertLoad() {
        List<MoeFeedForward> moe = moeLayers();
        long[][] out = new long[moe.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = moe.get(i).load();
        }
        return out;
    }

    public void resetExpertLoad() {
        moeLayers().forEach(MoeFeedForward::resetLoad);
    }

    /**
     * Weight of the sequence-wise expert balance loss that teacher-forced backward passes add to the gradient
     * (DeepSeek-V3's complementary balance loss; DeepSeek-V2's expert-level loss with softmax routing). 0, the
     * default, turns it off. It is added once per backward pass, to the router weights only.
     */
    public void setMoeAuxLossWeight(double weight) {
        if (!(weight >= 0)) {
            throw new IllegalArgumentException("MoE balance loss weight must be >= 0, got " + weight);
        }
        moeAuxLossWeight = weight;
        moeLayers().forEach(m -> m.setAuxWeight(weight));
    }

    /** The balance loss of the last forward pass, summed over MoE layers (0 when its weight is 0). */
    public double moeAuxLoss() {
        double s = 0;
        for (MoeFeedForward m : moeLayers()) {
            s += m.lastAuxLoss();
        }
        return s;
    }

    /**
     * DeepSeek-V3's auxiliary-loss-free balancing (section 2.1.2): after each optimizer update
     * ({@link #afterOptimizerStep}), every MoE layer's selection bias (e_score_correction_bias) moves by
     * speed * sign(mean load - load_i) per expert i, the load being the tokens routed to it in the backpropagated
     * passes since the previous update. 0, the default, leaves the biases alone. Needs noaux_tc routing (a model
     * with the bias) when the model has MoE layers.
     */
    public void setAuxFreeBiasUpdateSpeed(double speed) {
        if (!(speed >= 0)) {
            throw new IllegalArgumentException("aux_free_bias_update_speed must be >= 0, got " + speed);
        }
        List<MoeFeedForward> moe = moeLayers();
        if (speed > 0 && !moe.isEmpty() && moe.stream().allMatch(m -> m.correctionBias() == null)) {
            throw new IllegalArgumentException("aux_free_bias_update_speed needs DeepSeek-V3 routing (topk_method "
                    + "noaux_tc, with e_score_correction_bias); this model routes with " + config.moe.topkMethod());
        }
        auxFreeBiasUpdateSpeed = speed;
    }

    /**
     * Called by the trainer after each optimizer step (applied: the update was taken, not refused for a non-finite
     * gradient): takes the expert loads of the step's backpropagated passes, adds their statistics to the load
     * metrics ({@link #takeMoeLoadMetrics}) and, when applied and the speed is positive, updates the selection
     * biases. Nothing happens for models without MoE layers.
     */
    public void afterOptimizerStep(boolean applied) {
        List<MoeFeedForward> moe = moeLayers();
        double maxSum = 0;
        double cvSum = 0;
        int counted = 0;
        for (MoeFeedForward m : moe) {
            long[] load = m.takeTrainLoad();
            double[] stats = loadStats(load);
            if (stats == null) {
                continue;
            }
            maxSum += stats[0];
            cvSum += stats[1];
            counted++;
            Parameter bias = m.correctionBias();
            if (applied && auxFreeBiasUpdateSpeed > 0 && bias != null) {
                double mean = stats[2];
                double speed = auxFreeBiasUpdateSpeed;
                INDArray b = bias.value();
                ops.editOnHost(() -> {
                    for (int e = 0; e < load.length; e++) {
                        b.putScalar(e, b.getDouble(e) + speed * Math.signum(mean - load[e]));
                    }
                }, b);
            }
        }
        if (counted > 0) {
            loadMaxSum += maxSum / counted;
            loadCvSum += cvSum / counted;
            loadUpdates++;
        }
    }

    /** max load / mean load, the coefficient of variation (population) and the mean; null when nothing was routed. */
    static double[] loadStats(long[] load) {
        double total = 0;
        double max = 0;
        for (long n : load) {
            total += n;
            max = Math.max(max, n);
        }
        if (total == 0) {
            return null;
        }
        double mean = total / load.length;
        double var = 0;
        for (long n : load) {
            var += (n - mean) * (n - mean);
        }
        return new double[] {max / mean, Math.sqrt(var / load.length) / mean, mean};
    }

    /**
     * The expert-load metrics of the optimizer steps since the last call, averaged over the steps: {@code
     * moe/load_max} (most-loaded expert / mean load) and {@code moe/load_cv} (standard deviation / mean of the
     * per-expert loads), each first averaged over the MoE layers. Empty when no MoE layer routed a trained token.
     */
    public Map<String, Double> takeMoeLoadMetrics() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (loadUpdates > 0) {
            out.put("moe/load_max", loadMaxSum / loadUpdates);
            out.put("moe/load_cv", loadCvSum / loadUpdates);
        }
        loadMaxSum = 0;
        loadCvSum = 0;
        loadUpdates = 0;
        return out;
    }

    /** Whether the model has DeepSeekMoE layers. */
    public boolean hasMoe() {
        return !moeLayers().isEmpty();
    }

    /**
     * Router recording: while on, every pass keeps its expert choices on the host ({@link #lastExpertChoices}),
     * one small copy per MoE layer and pass.
     */
    public void setRecordingExpertChoices(boolean on) {
        moeLayers().forEach(m -> m.setRecording(on));
    }

    /**
     * The expert ids the last pass chose, per MoE layer: [moe layer][row * k + j] over the rows of that pass
     * (its padded grid: batch row b, position t is row b * seq + t; a decoding step has one row per sequence), -1
     * on padding; null when not recording.
     */
    public int[][] lastExpertChoices() {
        List<MoeFeedForward> moe = moeLayers();
        int[][] out = new int[moe.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = moe.get(i).lastChoices();
            if (out[i] == null) {
                return null;
            }
        }
        return out;
    }

    /**
     * Router replay: the following passes reuse these expert ids ([moe layer][row * k + j] over the pass's padded
     * grid, as {@link #lastExpertChoices}) instead of choosing; null chooses again.
     */
    public void replayExpertChoices(int[][] choices) {
        List<MoeFeedForward> moe = moeLayers();
        if (choices != null && choices.length != moe.size()) {
            throw new IllegalArgumentException("router replay has " + choices.length + " layers, the model "
                    + moe.size() + " MoE layers");
        }
        for (int i = 0; i < moe.size(); i++) {
            moe.get(i).replay(choices == null ? null : choices[i]);
        }
    }

    /** Width of the padded grid a pass over this batch runs on: batch row b, position t is row b * width + t. */
    public int gridWidth(TokenBatch batch) {
        return roundUp(batch.width());
    }

    /** experts per token of the MoE layers (num_experts_per_tok), 0 without MoE. */
    public int expertsPerToken() {
        return config.moe == null ? 0 : config.moe.numExpertsPerTok();
    }

    private List<MoeFeedForward> moeLayers() {
        List<MoeFeedForward> out = new ArrayList<>();
        for (DecoderLayer l : layers) {
            if (l.mlp instanceof MoeFeedForward m) {
                out.add(m);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- teacher-forced passes

    /**
     * Tokens per chunk of the LM head in teacher-forced passes (see {@link LmHead}): -1 (the default) chooses from
     * the shapes, keeping whole-batch logits only while they are small; 0 never chunks; a positive value is the
     * chunk. Chunked passes never hold [tokens, vocab] logits of the whole batch; the results are the same.
     */
    public void setLmHeadChunkSize(int tokens) {
        lmHead.setChunkSize(tokens);
    }

    /**
     * Gradient checkpointing (transformers' gradient_checkpointing): teacher-forced passes keep only each layer's
     * input, and the backward pass recomputes a layer's activations just before its gradients, so activation
     * memory is one layer's worth plus a [tokens, hidden] residual per layer, for about one more forward pass of
     * compute. Gradients are the same. Frees the cached buffers when the setting changes.
     */
    public void setGradientCheckpointing(boolean on) {
        if (on != gradientCheckpointing) {
            gradientCheckpointing = on;
            dropWorkspaces();
        }
    }

    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /** See {@link #setForwardOnly}. */
    private boolean forwardOnly;

    /**
     * For a model that is never trained (a frozen reference): its teacher-forced passes keep two residual buffers and
     * one layer's activations instead of every layer's (computed for the 1.5B shape at 8 x 8,320 float32 tokens: the
     * residual stream takes 0.8 GB instead of 11.9 GB; without checkpointing every layer's activations go too), and a
     * backward pass throws. Frees the cached buffers when the setting changes.
     */
    public void setForwardOnly(boolean on) {
        if (on != forwardOnly) {
            forwardOnly = on;
            dropWorkspaces();
        }
    }

    /**
     * How teacher-forced passes compute attention (transformers' attn_implementation): "eager" keeps the
     * [seq, seq] probabilities of every head for the backward pass; "flash_attention_2" uses the fused kernel
     * ({@link Ops#flashAttentionForward}), which keeps one log-sum-exp per query instead and recomputes the
     * probabilities in the backward pass (DeepSeek's latent attention too: values of 128 against queries and keys of
     * 192). Frees the cached buffers when the setting changes.
     */
    public void setAttnImplementation(String name) {
        if (!name.equals(EAGER) && !name.equals(FLASH_ATTENTION_2)) {
            throw new IllegalArgumentException("unknown attn_implementation '" + name + "' (known: " + EAGER + ", "
                    + FLASH_ATTENTION_2 + ")");
        }
        if (name.equals(attnImplementation)) {
            return;
        }
        attnImplementation = name;
        for (DecoderLayer l : layers) {
            l.attention.setFused(name.equals(FLASH_ATTENTION_2));
        }
        dropWorkspaces();
    }

    public String attnImplementation() {
        return attnImplementation;
    }

    /** Bytes of activation and gradient buffers cached for teacher-forced passes (for memory tests). */
    long workspaceBytes() {
        long n = 0;
        for (Workspace w : workspaces.values()) {
            n += w.shape.allocatedBytes();
        }
        return n;
    }

    /** Whether some cached workspace holds whole-batch logits (for tests of the chunked head). */
    boolean holdsFullLogits() {
        for (Workspace w : workspaces.values()) {
            if (w.holdsFullLogits()) {
                return true;
            }
        }
        return false;
    }

    /** Forward pass with logits, token log-probs and entropies (kept for {@link Forward#backward}). */
    public Forward forward(TokenBatch batch) {
        return run(batch, true, null, 1.0);
    }

    /**
     * Forward pass whose logits are divided by temperature before the log-probs and entropies (the sampling
     * distribution at that temperature, as TRL's GRPO trainer scores completions); its backward includes the
     * 1 / temperature factor.
     */
    public Forward forward(TokenBatch batch, double temperature) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        return run(batch, true, null, temperature);
    }

    /** Forward pass up to the final hidden states only (for reward-model heads). */
    public Forward forwardHidden(TokenBatch batch) {
        return run(batch, false, null, 1.0);
    }

    Forward run(TokenBatch batch, boolean withLogits, KvCache cache) {
        return run(batch, withLogits, cache, 1.0);
    }

    private Forward run(TokenBatch batch, boolean withLogits, KvCache cache, double temperature) {
        int width = roundUp(batch.width());
        if (cache == null && batch.width() > config.contextLimit()) {
            throw new IllegalArgumentException("sequence of " + batch.width() + " tokens exceeds max_position_embeddings "
                    + config.maxPositions);
        }
        Workspace ws = workspace(batch.size(), width);
        long gen = ++generation;
        ws.loraPass = training && cache == null ? (pinnedPass >= 0 ? pinnedPass : gen) : -1;
        if (adapters != null) {
            adapters.setDropoutPass(ws.loraPass);
        }
        ws.ids = batch.flatIds(width);
        ws.targets = batch.flatTargets(width);
        ws.valid = batch.flatValid(width);
        Shape s = ws.shape;
        ops.embeddingForward(ws.ids, embed.value(), ws.residual[0]);
        int[] zeros = cache == null ? null : new int[s.batch];
        for (int l = 0; l < layers.length; l++) {
            layers[l].forward(s, ws.residual[l], ws.positions, ws.valid, ws.layers[l], ws.residual[l + 1],
                    cache == null ? null : cache.layers[l], zeros);
        }
        finalNorm.forward(ws.residual[layers.length], ws.finalHidden, ws.finalRstd);
        if (withLogits) {
            lmHead.forward(ws, temperature);
        }
        generations.put(ws, gen);
        return new Forward(this, ws, batch, gen, withLogits);
    }

    /** The whole grid's logits of the last pass on ws (computed now when the head ran in chunks). */
    INDArray fullLogits(Workspace ws) {
        return lmHead.fullLogits(ws);
    }

    void checkCurrent(Workspace ws, long gen) {
        Long current = generations.get(ws);
        if (current == null || current != gen) {
            throw new IllegalStateException("this Forward was overwritten by a later forward pass of the same shape");
        }
    }

    /** The LM head applies the forward pass's temperature (kept in ws) to the gradient too. */
    void backwardFromLogProbs(Workspace ws, double[] dLogProb) {
        INDArray g = ws.dLogProb();
        INDArray host = Nd4j.createFromArray(dLogProb).castTo(dtype); // new: uploaded at its first use
        ops.copy(host, g);
        lmHead.backward(ws, g, ws.dFinal());
        backwardTrunk(ws, ws.dFinal());
    }

    void backwardFromHidden(Workspace ws, INDArray dHidden) {
        if (!Arrays.equals(dHidden.shape(), ws.finalHidden.shape())) {
            throw new IllegalArgumentException("dHidden has shape " + Arrays.toString(dHidden.shape())
                    + ", expected " + Arrays.toString(ws.finalHidden.shape()));
        }
        INDArray d = dHidden.castTo(dtype).dup('c'); // new: uploaded at its first use
        backwardTrunk(ws, d);
    }

    private void backwardTrunk(Workspace ws, INDArray dFinal) {
        Shape s = ws.shape;
        if (adapters != null) {
            adapters.setDropoutPass(ws.loraPass);
        }
        DecoderLayer.Grads[] g = ws.grads();
        INDArray dRes = ws.dResidual();
        ops.zero(dRes);
        finalNorm.backward(dFinal, ws.residual[layers.length], ws.finalRstd, dRes);
        for (int l = layers.length - 1; l >= 0; l--) {
            // the last layer's buffers still hold its activations: the forward pass ended with it
            if (ws.checkpointing && l < layers.length - 1) {
                layers[l].recompute(s, ws.residual[l], ws.positions, ws.valid, ws.layers[l], ws.residual[l + 1]);
            }
            layers[l].backward(s, ws.residual[l], ws.positions, ws.layers[l], g[l], dRes);
        }
        if (embed.trainable()) {
            ops.embeddingBackward(ws.ids, dRes, embed.grad());
        }
    }

    private static int roundUp(int width) {
        return (width + WIDTH_BUCKET - 1) / WIDTH_BUCKET * WIDTH_BUCKET;
    }

    private Workspace workspace(int batch, int width) {
        long key = ((long) batch << 32) | width;
        Workspace ws = workspaces.get(key);
        if (ws == null) {
            if (workspaces.size() >= MAX_WORKSPACES) {
                Long eldest = workspaces.keySet().iterator().next();
                Workspace old = workspaces.remove(eldest);
                generations.remove(old);
                old.shape.release();
            }
            ws = new Workspace(new Shape(batch, width, dtype), config, layers, gradientCheckpointing, forwardOnly);
            workspaces.put(key, ws);
        }
        return ws;
    }

    /** Frees the cached workspaces (built for settings that changed, or released on request). */
    private void dropWorkspaces() {
        workspaces.values().forEach(w -> w.shape.release());
        workspaces.clear();
        generations.clear();
    }

    /** Frees the cached activation buffers now (the next forward pass allocates what it needs again). */
    public void releaseBuffers() {
        spareCaches.forEach(KvCache::free);
        spareCaches.clear();
        dropWorkspaces();
        if (adapters != null) {
            adapters.releaseScratch();
        }
    }

    // ---------------------------------------------------------------- incremental decoding

    /**
     * A KV cache for {@code batch} sequences of up to {@code capacity} tokens. With multi-head latent attention it
     * holds only the normed latent and the RoPE key per token and layer.
     */
    public KvCache newKvCache(int batch, int capacity) {
        requireCacheCapacity(capacity);
        for (java.util.Iterator<KvCache> it = spareCaches.iterator(); it.hasNext(); ) {
            KvCache c = it.next();
            if (c.batch == batch && c.capacity == capacity) {
                it.remove();
                c.reopen();
                return c;
            }
        }
        KvCache c = new KvCache(config, dtype, ops, batch, capacity, layers);
        if (ops.reuseCaches()) {
            c.spares = this::keepSpare;
        }
        return c;
    }

    /**
     * A KV cache for decoding steps only (its rows come from a prefilled cache by {@link KvCache#copyRow}): where
     * the backend splits decoding ({@link Ops#decodeParts}, the CPU over its cores) its rows are split into parts,
     * each decoded end to end on one core. The logits are one [batch, vocab] array as for any cache. Models with
     * LoRA adapters or mixture-of-experts layers decode as one batch (their layers keep per-model scratch and load
     * counts that concurrent parts would share).
     */
    public KvCache newDecodingCache(int batch, int capacity) {
        int n = adapters == null && config.moe == null ? ops.decodeParts(batch) : 1;
        if (n <= 1) {
            return newKvCache(batch, capacity);
        }
        requireCacheCapacity(capacity);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = (int) ((long) batch * (i + 1) / n - (long) batch * i / n);
        }
        return KvCache.split(config, dtype, ops, capacity, layers, rows);
    }

    private void requireCacheCapacity(int capacity) {
        if (capacity > config.contextLimit()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds max_position_embeddings "
                    + config.maxPositions);
        }
    }

    /** Closed caches kept for reuse, newest last; at most MAX_SPARE_CACHES, the oldest freed first. */
    private final java.util.ArrayDeque<KvCache> spareCaches = new java.util.ArrayDeque<>();
    private static final int MAX_SPARE_CACHES = 2;

    private boolean keepSpare(KvCache c) {
        if (spareCaches.size() >= MAX_SPARE_CACHES) {
            spareCaches.removeFirst().free();
        }
        spareCaches.addLast(c);
        return true;
    }

    /**
     * Runs the prompts (one per cache row) and fills the cache; returns the next-token logits of each row
     * [batch, vocab] (a view into the cache's buffer, valid until the next call).
     */
    public INDArray prefill(KvCache cache, TokenBatch prompts) {
        if (cache.parts != null) {
            throw new IllegalArgumentException("prefill into a decoding cache (newDecodingCache): use newKvCache");
        }
        if (prompts.size() != cache.batch) {
            throw new IllegalArgumentException("prefill of " + prompts.size() + " prompts into a cache of "
                    + cache.batch + " rows");
        }
        if (roundUp(prompts.width()) > cache.capacity) {
            throw new IllegalArgumentException("prompt of " + prompts.width() + " tokens does not fit the KV cache ("
                    + cache.capacity + " positions)");
        }
        // only each row's last position needs logits: [batch, vocab], never [batch * width, vocab]
        run(prompts, false, cache);
        Workspace ws = workspace(prompts.size(), roundUp(prompts.width()));
        for (int b = 0; b < cache.batch; b++) {
            cache.lengths[b] = prompts.length(b);
            ops.copy(LmHead.rowSpan(ws.finalHidden, b * ws.shape.seq + prompts.length(b) - 1, 1),
                    LmHead.rowSpan(cache.norm, b, 1));
        }
        ops.gemm(cache.norm, head.value(), cache.logits, false, true, 1.0, 0.0);
        ops.toHost(cache.logits);
        return cache.logits;
    }

    /**
     * Appends one token to each active row (rows with active[b] false are left untouched) and returns the
     * next-token logits [batch, vocab] (a view into the cache's buffer, valid until the next call).
     */
    public INDArray decode(KvCache cache, int[] tokens, boolean[] active) {
        INDArray logits = decodeStep(cache, tokens, active);
        ops.toHost(logits);
        return logits;
    }

    /**
     * {@link #decode} without the host copy: the logits stay where the backend computed them, for
     * {@link Ops#sampleRows} (a GPU backend then sends back the picks, not the logits); call ops().toHost
     * before reading them on the host.
     */
    public INDArray decodeStep(KvCache cache, int[] tokens, boolean[] active) {
        if (cache.parts != null) {
            ops.inParts(cache.parts.length, i -> {
                int from = cache.partStart[i];
                int to = cache.partStart[i + 1];
                decodeStep(cache.parts[i], java.util.Arrays.copyOfRange(tokens, from, to),
                        active == null ? null : java.util.Arrays.copyOfRange(active, from, to));
            });
            cache.gatherLengths();
            return cache.logits;
        }
        KvCache c = cache;
        int[] start = new int[c.batch];
        int[] visible = new int[c.batch];
        int[] ids = new int[c.batch];
        for (int b = 0; b < c.batch; b++) {
            boolean on = active == null || active[b];
            if (on && c.lengths[b] >= c.capacity) {
                throw new IllegalStateException("KV cache row " + b + " is full (" + c.capacity + " positions)");
            }
            start[b] = on ? c.lengths[b] : -1;
            visible[b] = on ? c.lengths[b] + 1 : 0;
            ids[b] = on ? tokens[b] : 0;
        }
        int[] positions = new int[c.batch];
        boolean[] valid = new boolean[c.batch];
        for (int b = 0; b < c.batch; b++) {
            positions[b] = Math.max(start[b], 0);
            valid[b] = start[b] >= 0;
        }
        if (adapters != null) {
            adapters.setDropoutPass(-1);
        }
        // The same ops on the same buffers every step, only the index arrays change: a GPU backend replays it as a
        // captured graph (Ops.repeatedStep).
        ops.repeatedStep(c, () -> {
            ops.embeddingForward(ids, embed.value(), c.x);
            for (int l = 0; l < layers.length; l++) {
                layers[l].decode(c, l, positions, start, visible, valid);
            }
            finalNorm.forward(c.x, c.norm, c.rstd);
            ops.gemm(c.norm, head.value(), c.logits, false, true, 1.0, 0.0);
        }, ids, positions, start, visible);
        for (int b = 0; b < c.batch; b++) {
            if (start[b] >= 0) {
                c.lengths[b]++;
            }
        }
        return c.logits;
    }
}
