package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Float64 finite-difference checks of multi-head latent attention, DeepSeekMoE (V2 and V3 gating, the balance
 * loss) and whole tiny DeepSeek models, and incremental decoding through the compressed cache.
 */
class DeepSeekGradientTest {
    private static final DataType F64 = DataType.DOUBLE;
    /**
     * Whole-model losses sum many terms, so the central difference of a tiny gradient entry carries round-off
     * of ~1e-9 (measured: 3e-5 relative on an entry of 3.5e-5); the per-block checks keep 1e-5.
     */
    static final double WHOLE_MODEL_TOL = 1e-4;
    private final Ops ops = Ops.cpu();

    /**
     * Three layers (the first dense), 2 heads. "v3": query bottleneck, sigmoid routing with the correction bias,
     * 2 groups of 2 experts with one group per token, renormalised weights; "v2": plain q_proj, biases on the
     * latent projections, softmax greedy routing without renormalisation, halves-style RoPE is V3-only so V2 is
     * interleaved; "v3-halves": V3 with rope_interleave false; "v3-yarn": V3 with YaRN (cos/sin and the softmax
     * scale corrected by mscale).
     */
    static ModelConfig tiny(String variant) {
        boolean v3 = !variant.equals("v2");
        MlaConfig mla = new MlaConfig(v3 ? 6 : 0, 4, 4, 4, 3, !variant.equals("v3-halves"), !v3);
        MoeConfig moe = v3
                ? new MoeConfig(1, 1, 4, 2, 5, 1, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 2, 1, true, 2.5)
                : new MoeConfig(1, 1, 4, 2, 5, 2, MoeConfig.SOFTMAX, MoeConfig.GREEDY, 1, 1, false, 1.5);
        RopeScaling rope = variant.equals("v3-yarn")
                ? RopeScaling.yarn(4, 16, 32, 1, 0.8, 1.0, Double.NaN, true) : RopeScaling.NONE;
        return new ModelConfig(v3 ? ModelConfig.DEEPSEEK_V3 : ModelConfig.DEEPSEEK_V2, 13, 8, 12, 3, 2, 2, 4, 64,
                1e-6, 10000.0, false, false, 1, new int[] {2}, mla, moe, 0, rope);
    }

    static CausalLM randomModel(ModelConfig c, long seed) {
        return randomModel(c, seed, Ops.cpu());
    }

    static CausalLM randomModel(ModelConfig c, long seed, Ops ops) {
        CausalLM m = CausalLMGradientTest.randomModel(c, seed, ops);
        // a correction bias large enough to change some choices
        m.editWeights(w -> w.forEach((k, v) -> {
            if (k.endsWith("e_score_correction_bias")) {
                v.assign(Nd4j.randn(F64, v.shape()).muli(0.3));
            }
        }));
        return m;
    }

    private static double dot(INDArray a, INDArray b) {
        return a.mul(b).sumNumber().doubleValue();
    }

    private Parameter param(String name, long... shape) {
        return new Parameter(name, Nd4j.randn(F64, shape).muli(0.5), Nd4j.zeros(F64, shape));
    }

    private Linear linear(String name, int out, int in, boolean bias) {
        return new Linear(ops, param(name, out, in), bias ? param(name + ".b", out) : null);
    }

    private RmsNorm norm(String name, int d) {
        Parameter p = param(name, d);
        p.value().addi(1.0);
        return new RmsNorm(ops, p, 1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2", "v3-halves", "v3-yarn"})
    void latentAttention(String variant) {
        Nd4j.getRandom().setSeed(3);
        ModelConfig c = tiny(variant);
        MlaConfig m = c.mla;
        Shape s = new Shape(2, 5, F64);
        int h = c.numHeads;
        boolean lora = m.qLoraRank() > 0;
        LatentAttention attn = new LatentAttention(ops, c, new RotaryEmbedding(c),
                lora ? linear("qa", m.qLoraRank(), 8, m.attentionBias()) : null, lora ? norm("qan", m.qLoraRank()) : null,
                lora ? linear("qb", h * m.qkHeadDim(), m.qLoraRank(), false) : linear("q", h * m.qkHeadDim(), 8, false),
                linear("kva", m.cachedDimsPerToken(), 8, m.attentionBias()), norm("kvan", m.kvLoraRank()),
                linear("kvb", h * (m.qkNopeHeadDim() + m.vHeadDim()), m.kvLoraRank(), false),
                linear("o", 8, h * m.vHeadDim(), m.attentionBias()));
        AttentionBlock.Acts acts = attn.newActs(s);
        AttentionBlock.Grads grads = attn.newGrads(s);
        int[] positions = new int[s.rows];
        for (int i = 0; i < s.rows; i++) {
            positions[i] = i % s.seq + 3; // offset positions exercise the RoPE table beyond 0
        }
        INDArray x = Nd4j.randn(F64, s.rows, 8);
        INDArray coef = Nd4j.randn(F64, s.rows, 8);
        INDArray out = Nd4j.zeros(F64, s.rows, 8);
        INDArray dx = Nd4j.zeros(F64, s.rows, 8);
        attn.forward(s, x, positions, acts, out, null, null);
        attn.backward(s, x, positions, acts, grads, coef, dx);
        DoubleSupplier loss = () -> {
            ops.zero(out);
            attn.forward(s, x, positions, acts, out, null, null);
            return dot(out, coef);
        };
        GradCheck.check("x", x, dx, loss, 30, 10, 1e-5);
        java.util.List<Linear> linears = new java.util.ArrayList<>(java.util.List.of(attn.qB, attn.kvA, attn.kvB,
                attn.o));
        if (lora) {
            linears.add(attn.qA);
            GradCheck.check("q_a_layernorm", attn.qANorm.weight.value(), attn.qANorm.weight.grad(), loss, 6, 4, 1e-5);
        }
        GradCheck.check("kv_a_layernorm", attn.kvANorm.weight.value(), attn.kvANorm.weight.grad(), loss, 4, 5, 1e-5);
        for (Linear l : linears) {
            GradCheck.check(l.weight.name(), l.weight.value(), l.weight.grad(), loss, 15, 11, 1e-5);
            if (l.bias != null) {
                GradCheck.check(l.bias.name(), l.bias.value(), l.bias.grad(), loss, 8, 12, 1e-5);
            }
        }
    }

    private MoeFeedForward moe(MoeConfig c, boolean withBias) {
        SwiGluMlp[] experts = new SwiGluMlp[c.nRoutedExperts()];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = new SwiGluMlp(ops, linear("g" + e, 5, 8, false), linear("u" + e, 5, 8, false),
                    linear("d" + e, 8, 5, false));
        }
        SwiGluMlp shared = c.nSharedExperts() == 0 ? null : new SwiGluMlp(ops, linear("sg", 5 * c.nSharedExperts(), 8,
                false), linear("su", 5 * c.nSharedExperts(), 8, false), linear("sd", 8, 5 * c.nSharedExperts(), false));
        Parameter bias = withBias ? new Parameter("bias", Nd4j.randn(F64, c.nRoutedExperts()).muli(0.3),
                Nd4j.zeros(F64, c.nRoutedExperts())) : null;
        return new MoeFeedForward(ops, c, linear("router", c.nRoutedExperts(), 8, false), bias, experts, shared);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2-greedy", "v2-groups", "v3-aux", "v2-aux-no-shared"})
    void mixtureOfExperts(String variant) {
        Nd4j.getRandom().setSeed(5);
        MoeConfig c = switch (variant) {
            case "v3", "v3-aux" -> new MoeConfig(0, 1, 6, 2, 5, 1, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 3, 2,
                    true, 2.5);
            case "v2-greedy" -> new MoeConfig(0, 1, 6, 2, 5, 2, MoeConfig.SOFTMAX, MoeConfig.GREEDY, 1, 1, false, 1.5);
            case "v2-groups" -> new MoeConfig(0, 1, 6, 3, 5, 1, MoeConfig.SOFTMAX, MoeConfig.GROUP_LIMITED_GREEDY, 3,
                    2, true, 1.0);
            default -> new MoeConfig(0, 1, 6, 2, 5, 0, MoeConfig.SOFTMAX, MoeConfig.GREEDY, 1, 1, false, 1.0);
        };
        MoeFeedForward moe = moe(c, c.hasCorrectionBias());
        if (variant.contains("aux")) {
            moe.setAuxWeight(0.7);
        }
        Shape s = new Shape(2, 6, F64);
        // the last two rows of the second sequence are padding: no expert runs for them
        boolean[] valid = new boolean[s.rows];
        java.util.Arrays.fill(valid, true);
        valid[10] = false;
        valid[11] = false;
        FeedForwardBlock.Acts acts = moe.newActs(s);
        FeedForwardBlock.Grads grads = moe.newGrads(s);
        INDArray x = Nd4j.randn(F64, s.rows, 8);
        INDArray coef = Nd4j.randn(F64, s.rows, 8);
        coef.getRow(10).assign(0);
        coef.getRow(11).assign(0);
        INDArray out = Nd4j.zeros(F64, s.rows, 8);
        INDArray dx = Nd4j.zeros(F64, s.rows, 8);
        moe.forward(s, x, acts, out, valid);
        moe.backward(s, x, acts, grads, coef, dx);
        double aux = moe.lastAuxLoss();
        assertEquals(variant.contains("aux"), aux > 0, "balance loss " + aux);
        DoubleSupplier loss = () -> {
            ops.zero(out);
            moe.forward(s, x, acts, out, valid);
            return dot(out, coef) + moe.lastAuxLoss();
        };
        GradCheck.check("x", x, dx, loss, 24, 20, 1e-5);
        GradCheck.check("router", moe.router.weight.value(), moe.router.weight.grad(), loss, 20, 21, 1e-5);
        for (SwiGluMlp e : moe.experts) {
            for (Linear l : new Linear[] {e.gate, e.up, e.down}) {
                GradCheck.check(l.weight.name(), l.weight.value(), l.weight.grad(), loss, 4, 22, 1e-5);
            }
        }
        if (moe.shared != null) {
            GradCheck.check("shared", moe.shared.down.weight.value(), moe.shared.down.weight.grad(), loss, 10, 23,
                    1e-5);
        }
        moe.resetLoad();
        loss.getAsDouble();
        long routed = 0;
        for (long n : moe.load()) {
            routed += n;
        }
        assertEquals(10L * c.numExpertsPerTok(), routed, "10 tokens (2 are padding), k experts each");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void wholeModelLogProbGradient(String variant) {
        CausalLM m = randomModel(tiny(variant), 7);
        TokenBatch b = CausalLMGradientTest.batch();
        double[][] c = CausalLMGradientTest.coefficients(b, 3);
        m.zeroGrad();
        m.forward(b).backward(c);
        for (Parameter p : m.parameters()) {
            GradCheck.check(p.name(), p.value(), p.grad(),
                    () -> CausalLMGradientTest.weighted(m.forward(b).tokenLogProbs(), c), 3, 11, WHOLE_MODEL_TOL);
        }
    }

    @Test
    void wholeModelHiddenGradientWithBalanceLoss() {
        CausalLM m = randomModel(tiny("v3"), 5);
        m.setMoeAuxLossWeight(0.3);
        TokenBatch b = CausalLMGradientTest.batch();
        Forward f = m.forwardHidden(b);
        INDArray coef = Nd4j.randn(F64, f.hiddenStates().shape());
        m.zeroGrad();
        f.backwardFromHidden(coef);
        assertTrue(m.moeAuxLoss() > 0);
        for (Parameter p : m.parameters()) {
            if (p.name().equals("lm_head.weight")) {
                continue;
            }
            GradCheck.check(p.name(), p.value(), p.grad(), () -> {
                Forward g = m.forwardHidden(b);
                return g.hiddenStates().mul(coef).sumNumber().doubleValue() + m.moeAuxLoss();
            }, 3, 13, WHOLE_MODEL_TOL);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2"})
    void paddingDoesNotChangeRealPositions(String variant) {
        CausalLM m = randomModel(tiny(variant), 9);
        int[] shortRow = {2, 8, 6};
        double[] alone = m.forward(TokenBatch.of(shortRow)).tokenLogProbs()[0];
        double[] inBatch = m.forward(CausalLMGradientTest.batch()).tokenLogProbs()[1];
        for (int t = 0; t < alone.length; t++) {
            assertEquals(alone[t], inBatch[t], 1e-12);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"v3", "v2", "v3-halves"})
    void compressedCacheDecodingEqualsFullForward(String variant) {
        CausalLM m = randomModel(tiny(variant), 21);
        KvCache[] caches = new KvCache[2];
        double err = decodingError(m, caches);
        assertTrue(err < 1e-10, "max |logit difference| " + err);
        KvCache cache = caches[0];
        // per token and layer: the normed latent (4) and the RoPE key (4), 8-byte doubles
        assertEquals(3L * 8 * 8, cache.bytesPerToken());
        cache.close();
        caches[1].close();
        assertTrue(cache.layers[1].tensors[0].wasClosed(), "closing frees the latents at once");
    }

    /**
     * Max |logit difference| between the full forward pass of the test batch and prefill plus incremental
     * decoding through the compressed cache (rows moved into a larger cache, as the sampler does); caches gets
     * the decoding cache and the prefill cache.
     */
    static double decodingError(CausalLM m, KvCache[] caches) {
        TokenBatch full = CausalLMGradientTest.batch();
        Forward f = m.forward(full);
        INDArray logits = f.logits().dup();
        int pw = f.paddedWidth();
        int[] promptLen = {3, 1, 2};
        int[][] prompts = new int[3][];
        for (int b = 0; b < 3; b++) {
            prompts[b] = java.util.Arrays.copyOf(full.row(b), promptLen[b]);
        }
        KvCache prefill = m.newKvCache(3, 8);
        INDArray next = m.prefill(prefill, TokenBatch.of(prompts));
        // continue in a larger cache, rows copied as the sampler does
        KvCache cache = m.newKvCache(3, 16);
        for (int b = 0; b < 3; b++) {
            cache.copyRow(prefill, b, b);
        }
        int[] pos = promptLen.clone();
        boolean[] fresh = {true, true, true};
        double maxErr = 0;
        for (int step = 0; step < 8; step++) {
            int[] tokens = new int[3];
            boolean[] active = new boolean[3];
            for (int b = 0; b < 3; b++) {
                if (fresh[b]) {
                    INDArray want = logits.getRow((long) b * pw + pos[b] - 1);
                    maxErr = Math.max(maxErr, want.sub(next.getRow(b)).amaxNumber().doubleValue());
                }
                active[b] = pos[b] < full.length(b);
                tokens[b] = active[b] ? full.row(b)[pos[b]] : 0;
            }
            next = m.decode(cache, tokens, active);
            fresh = active;
            for (int b = 0; b < 3; b++) {
                if (active[b]) {
                    pos[b]++;
                }
            }
        }
        caches[0] = cache;
        caches[1] = prefill;
        return maxErr;
    }
}
