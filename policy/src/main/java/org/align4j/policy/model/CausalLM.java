package org.align4j.policy.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.RopeTable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Llama/Qwen2-family decoder-only language model with hand-written forward and backward passes.
 * Parameters are named and shaped as in Hugging Face checkpoints. Not thread-safe: one thread drives a
 * model; use {@link #copy()} for a second one (a frozen reference, or a sampler beside a trainer).
 */
public final class CausalLM {
    /** Padded widths are rounded up to this so that few buffer sets are ever allocated. */
    private static final int WIDTH_BUCKET = 8;
    private static final int MAX_WORKSPACES = 3;

    private final ModelConfig config;
    private final DataType dtype;
    private final Ops ops;
    private final Map<String, Parameter> params;
    private final Parameter embed;
    private final Parameter head;
    private final DecoderLayer[] layers;
    private final RmsNorm finalNorm;
    private final RopeTable rope;
    private final LinkedHashMap<Long, Workspace> workspaces = new LinkedHashMap<>(8, 0.75f, true);
    private final Map<Workspace, Long> generations = new java.util.IdentityHashMap<>();
    private long generation;

    private CausalLM(ModelConfig config, DataType dtype, Ops ops, Map<String, INDArray> weights) {
        this.config = config;
        this.dtype = dtype;
        this.ops = ops;
        this.params = new LinkedHashMap<>();
        this.rope = new RopeTable(config.headDim, config.ropeTheta);
        Map<String, INDArray> remaining = new LinkedHashMap<>(weights);
        embed = take(remaining, "model.embed_tokens.weight", config.vocabSize, config.hiddenSize);
        layers = new DecoderLayer[config.numLayers];
        int qw = config.numHeads * config.headDim;
        int kvw = config.numKvHeads * config.headDim;
        int d = config.hiddenSize;
        for (int l = 0; l < config.numLayers; l++) {
            String p = "model.layers." + l + ".";
            RmsNorm n1 = new RmsNorm(ops, take(remaining, p + "input_layernorm.weight", d), config.rmsNormEps);
            Linear q = linear(remaining, p + "self_attn.q_proj", qw, d, config.qkvBias);
            Linear k = linear(remaining, p + "self_attn.k_proj", kvw, d, config.qkvBias);
            Linear v = linear(remaining, p + "self_attn.v_proj", kvw, d, config.qkvBias);
            Linear o = linear(remaining, p + "self_attn.o_proj", d, qw, false);
            RmsNorm n2 = new RmsNorm(ops, take(remaining, p + "post_attention_layernorm.weight", d), config.rmsNormEps);
            Linear gate = linear(remaining, p + "mlp.gate_proj", config.intermediateSize, d, false);
            Linear up = linear(remaining, p + "mlp.up_proj", config.intermediateSize, d, false);
            Linear down = linear(remaining, p + "mlp.down_proj", d, config.intermediateSize, false);
            layers[l] = new DecoderLayer(ops, n1, new Attention(ops, config, rope, q, k, v, o), n2,
                    new SwiGluMlp(ops, gate, up, down));
        }
        finalNorm = new RmsNorm(ops, take(remaining, "model.norm.weight", d), config.rmsNormEps);
        if (config.tieWordEmbeddings) {
            remaining.remove("lm_head.weight");
            head = embed;
        } else {
            head = take(remaining, "lm_head.weight", config.vocabSize, d);
        }
        if (!remaining.isEmpty()) {
            throw new IllegalArgumentException("unexpected tensor '" + remaining.keySet().iterator().next()
                    + "' for " + config.architecture + " (" + remaining.size() + " unexpected in all)");
        }
    }

    /** A model from named weights (Hugging Face names and shapes); every tensor must be present. */
    public static CausalLM fromWeights(ModelConfig config, Map<String, INDArray> weights, DataType dtype) {
        return new CausalLM(config, dtype, Ops.current(), weights);
    }

    /**
     * A freshly initialised model: normal(0, 0.02) weights (output projections scaled by
     * 1/sqrt(2 * layers), as GPT-2 does), unit norm gains, zero biases.
     */
    public static CausalLM initialize(ModelConfig config, DataType dtype, long seed) {
        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> w = new LinkedHashMap<>();
        int qw = config.numHeads * config.headDim;
        int kvw = config.numKvHeads * config.headDim;
        int d = config.hiddenSize;
        double std = 0.02;
        double outStd = std / Math.sqrt(2.0 * config.numLayers);
        w.put("model.embed_tokens.weight", Nd4j.randn(dtype, config.vocabSize, d).muli(std));
        for (int l = 0; l < config.numLayers; l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", Nd4j.ones(dtype, d));
            w.put(p + "self_attn.q_proj.weight", Nd4j.randn(dtype, qw, d).muli(std));
            w.put(p + "self_attn.k_proj.weight", Nd4j.randn(dtype, kvw, d).muli(std));
            w.put(p + "self_attn.v_proj.weight", Nd4j.randn(dtype, kvw, d).muli(std));
            if (config.qkvBias) {
                w.put(p + "self_attn.q_proj.bias", Nd4j.zeros(dtype, qw));
                w.put(p + "self_attn.k_proj.bias", Nd4j.zeros(dtype, kvw));
                w.put(p + "self_attn.v_proj.bias", Nd4j.zeros(dtype, kvw));
            }
            w.put(p + "self_attn.o_proj.weight", Nd4j.randn(dtype, d, qw).muli(outStd));
            w.put(p + "post_attention_layernorm.weight", Nd4j.ones(dtype, d));
            w.put(p + "mlp.gate_proj.weight", Nd4j.randn(dtype, config.intermediateSize, d).muli(std));
            w.put(p + "mlp.up_proj.weight", Nd4j.randn(dtype, config.intermediateSize, d).muli(std));
            w.put(p + "mlp.down_proj.weight", Nd4j.randn(dtype, d, config.intermediateSize).muli(outStd));
        }
        w.put("model.norm.weight", Nd4j.ones(dtype, d));
        if (!config.tieWordEmbeddings) {
            w.put("lm_head.weight", Nd4j.randn(dtype, config.vocabSize, d).muli(std));
        }
        return fromWeights(config, w, dtype);
    }

    private Parameter take(Map<String, INDArray> w, String name, long... shape) {
        INDArray a = w.remove(name);
        if (a == null) {
            throw new IllegalArgumentException("missing tensor '" + name + "'");
        }
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(a.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        INDArray value = a.castTo(dtype).dup('c');
        Parameter p = new Parameter(name, value, Nd4j.zeros(dtype, shape));
        params.put(name, p);
        return p;
    }

    private Linear linear(Map<String, INDArray> w, String prefix, int out, int in, boolean bias) {
        Parameter weight = take(w, prefix + ".weight", out, in);
        Parameter b = bias ? take(w, prefix + ".bias", out) : null;
        return new Linear(ops, weight, b);
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

    /** Trainable parameters, each once (a tied head shares the embedding). */
    public List<Parameter> parameters() {
        return Collections.unmodifiableList(new ArrayList<>(params.values()));
    }

    public Parameter parameter(String name) {
        Parameter p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'");
        }
        return p;
    }

    /**
     * Named weights as stored in a checkpoint (live arrays, not copies), with their host copies made
     * current. Code that changes them outside {@link Ops} must call {@link #weightsWrittenOnHost()} after.
     */
    public Map<String, INDArray> weights() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        params.forEach((k, p) -> {
            ops.toHost(p.value());
            w.put(k, p.value());
        });
        return w;
    }

    /** Tells the backend that weights were changed through their host arrays (see {@link #weights()}). */
    public void weightsWrittenOnHost() {
        for (Parameter p : params.values()) {
            ops.hostWritten(p.value());
        }
    }

    public long parameterCount() {
        long n = 0;
        for (Parameter p : params.values()) {
            n += p.size();
        }
        return n;
    }

    public void zeroGrad() {
        for (Parameter p : params.values()) {
            ops.zero(p.grad());
        }
    }

    /** An independent model with the same weights (for a frozen reference or a sampler). */
    public CausalLM copy() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        weights().forEach((k, v) -> w.put(k, v.dup()));
        return new CausalLM(config, dtype, ops, w);
    }

    /** Overwrites this model's weights with another's of the same architecture. */
    public void copyWeightsFrom(CausalLM other) {
        for (Parameter p : params.values()) {
            ops.copy(other.parameter(p.name()).value(), p.value());
        }
    }

    // ---------------------------------------------------------------- teacher-forced passes

    /** Forward pass with logits, token log-probs and entropies (kept for {@link Forward#backward}). */
    public Forward forward(TokenBatch batch) {
        return run(batch, true, null);
    }

    /** Forward pass up to the final hidden states only (for reward-model heads). */
    public Forward forwardHidden(TokenBatch batch) {
        return run(batch, false, null);
    }

    Forward run(TokenBatch batch, boolean withLogits, KvCache cache) {
        int width = roundUp(batch.width());
        if (cache == null && batch.width() > config.maxPositions) {
            throw new IllegalArgumentException("sequence of " + batch.width() + " tokens exceeds max_position_embeddings "
                    + config.maxPositions);
        }
        Workspace ws = workspace(batch.size(), width);
        ws.ids = batch.flatIds(width);
        ws.targets = batch.flatTargets(width);
        Shape s = ws.shape;
        ops.embeddingForward(ws.ids, embed.value(), ws.residual[0]);
        int[] zeros = cache == null ? null : new int[s.batch];
        for (int l = 0; l < layers.length; l++) {
            layers[l].forward(s, ws.residual[l], ws.positions, ws.layers[l], ws.residual[l + 1],
                    cache == null ? null : cache.k[l], cache == null ? null : cache.v[l], zeros);
        }
        finalNorm.forward(ws.residual[layers.length], ws.finalHidden, ws.finalRstd);
        if (withLogits) {
            ops.gemm(ws.finalHidden, head.value(), ws.logits(), false, true, 1.0, 0.0);
            ops.logProbsAndEntropy(ws.logits(), ws.targets, ws.logProb(), ws.entropy());
        }
        long gen = ++generation;
        generations.put(ws, gen);
        return new Forward(this, ws, batch, gen, withLogits);
    }

    void checkCurrent(Workspace ws, long gen) {
        Long current = generations.get(ws);
        if (current == null || current != gen) {
            throw new IllegalStateException("this Forward was overwritten by a later forward pass of the same shape");
        }
    }

    void backwardFromLogProbs(Workspace ws, double[] dLogProb) {
        INDArray g = ws.dLogProb();
        INDArray host = Nd4j.createFromArray(dLogProb).castTo(dtype);
        ops.hostWritten(host);
        ops.copy(host, g);
        INDArray dLogits = ws.logits();
        ops.logProbsBackward(dLogits, ws.targets, g);
        ops.gemm(dLogits, head.value(), ws.dFinal(), false, false, 1.0, 0.0);
        ops.gemm(dLogits, ws.finalHidden, head.grad(), true, false, 1.0, 1.0);
        backwardTrunk(ws, ws.dFinal());
    }

    void backwardFromHidden(Workspace ws, INDArray dHidden) {
        if (!Arrays.equals(dHidden.shape(), ws.finalHidden.shape())) {
            throw new IllegalArgumentException("dHidden has shape " + Arrays.toString(dHidden.shape())
                    + ", expected " + Arrays.toString(ws.finalHidden.shape()));
        }
        INDArray d = dHidden.castTo(dtype).dup('c');
        ops.hostWritten(d);
        backwardTrunk(ws, d);
    }

    private void backwardTrunk(Workspace ws, INDArray dFinal) {
        Shape s = ws.shape;
        DecoderLayer.Grads g = ws.grads();
        INDArray dRes = ws.dResidual();
        ops.zero(dRes);
        finalNorm.backward(dFinal, ws.residual[layers.length], ws.finalRstd, dRes);
        for (int l = layers.length - 1; l >= 0; l--) {
            layers[l].backward(s, ws.residual[l], ws.positions, ws.layers[l], g, dRes);
        }
        ops.embeddingBackward(ws.ids, dRes, embed.grad());
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
            ws = new Workspace(new Shape(batch, width, dtype), config);
            workspaces.put(key, ws);
        }
        return ws;
    }

    /** Frees the cached activation buffers now (the next forward pass allocates what it needs again). */
    public void releaseBuffers() {
        spareCaches.forEach(KvCache::free);
        spareCaches.clear();
        workspaces.values().forEach(w -> w.shape.release());
        workspaces.clear();
        generations.clear();
    }

    // ---------------------------------------------------------------- incremental decoding

    /** A KV cache for {@code batch} sequences of up to {@code capacity} tokens. */
    public KvCache newKvCache(int batch, int capacity) {
        if (capacity > config.maxPositions) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds max_position_embeddings "
                    + config.maxPositions);
        }
        for (java.util.Iterator<KvCache> it = spareCaches.iterator(); it.hasNext(); ) {
            KvCache c = it.next();
            if (c.batch == batch && c.capacity == capacity) {
                it.remove();
                c.reopen();
                return c;
            }
        }
        KvCache c = new KvCache(config, dtype, ops, batch, capacity);
        c.spares = this::keepSpare;
        return c;
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
        if (prompts.size() != cache.batch) {
            throw new IllegalArgumentException("prefill of " + prompts.size() + " prompts into a cache of "
                    + cache.batch + " rows");
        }
        if (roundUp(prompts.width()) > cache.capacity) {
            throw new IllegalArgumentException("prompt of " + prompts.width() + " tokens does not fit the KV cache ("
                    + cache.capacity + " positions)");
        }
        run(prompts, true, cache);
        Workspace ws = workspace(prompts.size(), roundUp(prompts.width()));
        for (int b = 0; b < cache.batch; b++) {
            cache.lengths[b] = prompts.length(b);
            ops.copy(ws.logits().getRow(b * ws.shape.seq + prompts.length(b) - 1L), cache.logits.getRow(b));
        }
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
        KvCache c = cache;
        int d = config.hiddenSize;
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
        for (int b = 0; b < c.batch; b++) {
            positions[b] = Math.max(start[b], 0);
        }
        double scale = 1.0 / Math.sqrt(config.headDim);
        ops.embeddingForward(ids, embed.value(), c.x);
        for (int l = 0; l < layers.length; l++) {
            DecoderLayer layer = layers[l];
            layer.inputNorm.forward(c.x, c.norm, c.rstd);
            Attention a = layer.attention;
            a.q.forward(c.norm, c.q, false);
            a.k.forward(c.norm, c.k1, false);
            a.v.forward(c.norm, c.v1, false);
            ops.rope(c.q, positions, rope, false);
            ops.rope(c.k1, positions, rope, false);
            ops.writeKv(c.k1, c.k[l], c.batch, 1, start);
            ops.writeKv(c.v1, c.v[l], c.batch, 1, start);
            ops.decodeAttention(c.q, c.k[l], c.v[l], visible, c.attn, config.group(), scale, c.scratch);
            a.o.forward(c.attn, c.x, true);
            layer.postAttentionNorm.forward(c.x, c.norm, c.rstd);
            SwiGluMlp m = layer.mlp;
            m.gate.forward(c.norm, c.gate, false);
            m.up.forward(c.norm, c.up, false);
            ops.swiGluForward(c.gate, c.up, c.act);
            m.down.forward(c.act, c.x, true);
        }
        finalNorm.forward(c.x, c.norm, c.rstd);
        ops.gemm(c.norm, head.value(), c.logits, false, true, 1.0, 0.0);
        for (int b = 0; b < c.batch; b++) {
            if (start[b] >= 0) {
                c.lengths[b]++;
            }
        }
        return c.logits;
    }
}
