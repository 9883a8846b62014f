package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.DoubleSupplier;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.RopeTable;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The rope scaling formulas on a head of 8 rotary dims with theta 1e4, whose plain inverse frequencies are
 * exactly 1, 0.1, 0.01 and 0.001 (wavelengths 2 pi times 1, 10, 100, 1000), so that each expected value below
 * can be worked out by hand; the config readers; and the gradient of attention under scaled tables.
 */
class RopeScalingTest {
    private static final double[] PLAIN = {1, 0.1, 0.01, 0.001};
    private static final ObjectMapper JSON = new ObjectMapper();

    private static double[] inv(RopeScaling s, int seqLen) {
        return s.inverseFrequencies(8, 10000.0, 64, seqLen);
    }

    @Test
    void defaultAndLinear() {
        assertArrayEquals(PLAIN, inv(RopeScaling.NONE, 10), 1e-15);
        assertArrayEquals(new double[] {0.25, 0.025, 0.0025, 0.00025}, inv(RopeScaling.linear(4), 10), 1e-15);
        assertEquals(1.0, RopeScaling.linear(4).cosSinScale());
    }

    @Test
    void dynamicScalesTheBaseOnlyBeyondMaxPositions() {
        RopeScaling s = RopeScaling.dynamic(2);
        assertArrayEquals(PLAIN, inv(s, 64), 1e-15);
        // seqLen 128 = 2 * max: base = 1e4 * (2 * 2 - 1)^(8 / 6)
        double base = 10000.0 * Math.pow(3, 8.0 / 6);
        double[] got = inv(s, 128);
        for (int i = 0; i < 4; i++) {
            assertEquals(Math.pow(base, -2.0 * i / 8), got[i], 1e-15);
        }
    }

    @Test
    void llama3KeepsShortWavelengthsDividesLongOnesAndSmoothsBetween() {
        // original 1024, low 1, high 4: wavelengths above 1024 are divided by 8, below 256 kept
        double[] got = inv(RopeScaling.llama3(8, 1, 4, 1024), 10);
        assertEquals(1.0, got[0], 1e-15);
        assertEquals(0.1, got[1], 1e-15);
        double smooth = (1024 / (2 * Math.PI * 100) - 1) / 3; // wavelength 628.3: in the medium band
        assertEquals((1 - smooth) * 0.01 / 8 + smooth * 0.01, got[2], 1e-15);
        assertEquals(0.001 / 8, got[3], 1e-15);
    }

    @Test
    void yarnRampsBetweenExtrapolationAndInterpolation() {
        // correction dims over an original 1024: beta_fast 32 -> 8 ln(1024 / 64 pi) / (2 ln 1e4) = 0.707 -> floor 0;
        // beta_slow 1 -> 2.212 -> ceil 3. The ramp over dims 0..3 is i / 3; extrapolation weight 1 - i / 3.
        RopeScaling s = RopeScaling.yarn(4, 1024, 32, 1, 0.8, 1.0, Double.NaN, true);
        double[] got = inv(s, 10);
        for (int i = 0; i < 4; i++) {
            double e = 1 - i / 3.0;
            assertEquals(PLAIN[i] / 4 * (1 - e) + PLAIN[i] * e, got[i], 1e-15, "dim " + i);
        }
        double m = 0.1 * Math.log(4) + 1;
        assertEquals((0.1 * 0.8 * Math.log(4) + 1) / m, s.cosSinScale(), 1e-15);
        assertEquals(m * m, s.softmaxScaleFactor(), 1e-15);
        // absent betas default to 32 and 1, absent mscales to get_mscale(factor)
        RopeScaling d = RopeScaling.yarn(4, 1024, 0, 0, Double.NaN, Double.NaN, Double.NaN, true);
        assertArrayEquals(got, inv(d, 10), 1e-15);
        assertEquals(m, d.cosSinScale(), 1e-15);
        assertEquals(1.0, d.softmaxScaleFactor());
        assertEquals(0.5, RopeScaling.yarn(4, 1024, 0, 0, 1, 1, 0.5, true).cosSinScale());
        // without truncation the ramp runs from 0.707 to 2.212
        double lo = 8 * Math.log(1024 / (64 * Math.PI)) / (2 * Math.log(10000));
        double hi = 8 * Math.log(1024 / (2 * Math.PI)) / (2 * Math.log(10000));
        double[] raw = inv(RopeScaling.yarn(4, 1024, 32, 1, Double.NaN, Double.NaN, Double.NaN, false), 10);
        for (int i = 0; i < 4; i++) {
            double e = 1 - Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
            assertEquals(PLAIN[i] / 4 * (1 - e) + PLAIN[i] * e, raw[i], 1e-15, "dim " + i);
        }
    }

    @Test
    void deepSeekV3ReleasedSettings() {
        // factor 40 over 4096 with mscale = mscale_all_dim = 1: cos/sin unscaled, softmax by (0.1 ln 40 + 1)^2
        RopeScaling s = RopeScaling.yarn(40, 4096, 32, 1, 1, 1, Double.NaN, true);
        assertEquals(1.0, s.cosSinScale(), 1e-15);
        assertEquals(Math.pow(0.1 * Math.log(40) + 1, 2), s.softmaxScaleFactor(), 1e-15);
    }

    private static ObjectNode llama() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(ModelConfig.LLAMA);
        n.put("vocab_size", 16).put("hidden_size", 8).put("intermediate_size", 12).put("num_hidden_layers", 1)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("max_position_embeddings", 64);
        return n;
    }

    @Test
    void readsRopeScalingWithTypeOrRopeTypeAndRopeParameters() {
        ObjectNode a = llama();
        a.put("rope_theta", 500000.0);
        a.putObject("rope_scaling").put("type", "linear").put("factor", 2.0);
        ModelConfig c = ModelConfig.fromJson(a);
        assertEquals(RopeScaling.LINEAR, c.ropeScaling.type);
        assertEquals(2.0, c.ropeScaling.factor);
        assertEquals(500000.0, c.ropeTheta);

        ObjectNode b = llama();
        b.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0);
        ModelConfig cb = ModelConfig.fromJson(b);
        assertEquals(RopeScaling.LLAMA3, cb.ropeScaling.type);
        assertEquals(64, cb.ropeScaling.originalMaxPositions, "defaults to max_position_embeddings");

        ObjectNode p = llama();
        p.putObject("rope_parameters").put("rope_type", "yarn").put("rope_theta", 1e6).put("factor", 4.0)
                .put("original_max_position_embeddings", 16).put("beta_fast", 16).put("mscale", 0.7);
        // the older form beside it, saying the same
        p.putObject("rope_scaling").put("type", "yarn").put("factor", 4);
        ModelConfig cp = ModelConfig.fromJson(p);
        assertEquals(RopeScaling.YARN, cp.ropeScaling.type);
        assertEquals(1e6, cp.ropeTheta);
        assertEquals(16, cp.ropeScaling.originalMaxPositions);
        assertEquals(16.0, cp.ropeScaling.betaFast);
        assertEquals(0.7, cp.ropeScaling.mscale);
        assertTrue(Double.isNaN(cp.ropeScaling.mscaleAllDim));

        // written as rope_parameters and read back the same
        for (ModelConfig m : new ModelConfig[] {c, cb, cp}) {
            ModelConfig back = ModelConfig.fromJson(m.toJson());
            assertEquals(m.ropeTheta, back.ropeTheta);
            assertArrayEquals(m.ropeScaling.inverseFrequencies(4, m.ropeTheta, 64, 100),
                    back.ropeScaling.inverseFrequencies(4, back.ropeTheta, 64, 100), 0);
            assertEquals(m.ropeScaling.cosSinScale(), back.ropeScaling.cosSinScale());
        }
    }

    private static String refusal(ObjectNode n) {
        return assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(n)).getMessage();
    }

    @Test
    void conflictingOrUnsupportedSettingsAreRefusedNamingTheKey() {
        ObjectNode factor = llama();
        factor.putObject("rope_parameters").put("rope_type", "linear").put("factor", 2.0);
        factor.putObject("rope_scaling").put("type", "linear").put("factor", 4.0);
        assertTrue(refusal(factor).contains("rope_scaling.factor"), refusal(factor));

        ObjectNode types = llama();
        types.putObject("rope_scaling").put("type", "linear").put("rope_type", "dynamic").put("factor", 2.0);
        assertTrue(refusal(types).contains("rope_type 'dynamic' and type 'linear'"), refusal(types));

        ObjectNode theta = llama();
        theta.put("rope_theta", 10000.0);
        theta.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 500000.0);
        assertTrue(refusal(theta).contains("rope_theta"), refusal(theta));

        ObjectNode longrope = llama();
        longrope.putObject("rope_scaling").put("rope_type", "longrope").put("factor", 2.0);
        assertTrue(refusal(longrope).contains("rope_scaling.rope_type 'longrope' (supported: default, linear"),
                refusal(longrope));

        ObjectNode missing = llama();
        missing.putObject("rope_parameters").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1);
        assertTrue(refusal(missing).contains("missing key rope_parameters.high_freq_factor"), refusal(missing));

        ObjectNode unknown = llama();
        unknown.putObject("rope_scaling").put("type", "linear").put("factor", 2.0).put("beta_fast", 32);
        assertTrue(refusal(unknown).contains("rope_scaling.beta_fast"), refusal(unknown));

        ObjectNode partial = llama();
        partial.putObject("rope_parameters").put("rope_type", "default").put("partial_rotary_factor", 0.5);
        assertTrue(refusal(partial).contains("partial_rotary_factor"), refusal(partial));

        ObjectNode small = llama();
        small.putObject("rope_scaling").put("type", "dynamic").put("factor", 0.5);
        assertTrue(refusal(small).contains("rope_scaling.factor must be >= 1"), refusal(small));
    }

    @Test
    void dynamicTablesFollowTheLongestPositionOfEachPass() {
        ModelConfig c = new ModelConfig(ModelConfig.LLAMA, 13, 8, 12, 1, 2, 1, 4, 8, 1e-6, 10000.0, true, false,
                null, null, null, null, 0, RopeScaling.dynamic(2));
        RotaryEmbedding r = new RotaryEmbedding(c);
        RopeTable shortPass = r.forPositions(new int[] {0, 1, 7});
        assertSame(shortPass, r.forPositions(new int[] {3}));
        RopeTable longPass = r.forPositions(new int[] {0, 15});
        assertNotSame(shortPass, longPass);
        assertArrayEquals(RopeScaling.dynamic(2).inverseFrequencies(4, 10000.0, 8, 16), longPass.inverseFrequencies(),
                0);
        assertSame(longPass, r.forPositions(new int[] {15, 2}));
        assertSame(shortPass, r.forPositions(new int[] {2}), "short passes go back to the plain frequencies");
    }

    /** Attention's backward pass under a scaled table (cos/sin times YaRN's factor) and dynamic NTK frequencies. */
    @Test
    void attentionGradientsUnderScaledTables() {
        Ops ops = Ops.cpu();
        for (RopeScaling scaling : new RopeScaling[] {RopeScaling.yarn(4, 4, 32, 1, 0.5, 1, Double.NaN, true),
                RopeScaling.dynamic(3)}) {
            ModelConfig c = new ModelConfig(ModelConfig.QWEN2, 13, 8, 12, 1, 4, 2, 4, 4, 1e-6, 10000.0, false, true,
                    null, null, null, null, 0, scaling);
            Nd4j.getRandom().setSeed(11);
            Shape s = new Shape(2, 5, DataType.DOUBLE);
            Attention attn = new Attention(ops, c, new RotaryEmbedding(c), linear(ops, "q", 16, 8, true),
                    linear(ops, "k", 8, 8, true), linear(ops, "v", 8, 8, true), linear(ops, "o", 8, 16, false));
            Attention.Acts acts = new Attention.Acts(s, c);
            Attention.Grads grads = new Attention.Grads(s, c);
            int[] positions = new int[s.rows];
            for (int i = 0; i < s.rows; i++) {
                positions[i] = i % s.seq + 2; // up to 6, beyond max_position_embeddings 4
            }
            INDArray x = Nd4j.randn(DataType.DOUBLE, s.rows, 8);
            INDArray coef = Nd4j.randn(DataType.DOUBLE, s.rows, 8);
            INDArray out = Nd4j.zeros(DataType.DOUBLE, s.rows, 8);
            INDArray dx = Nd4j.zeros(DataType.DOUBLE, s.rows, 8);
            attn.forward(s, x, positions, acts, out, null, null);
            attn.backward(s, x, positions, acts, grads, coef, dx);
            DoubleSupplier loss = () -> {
                ops.zero(out);
                attn.forward(s, x, positions, acts, out, null, null);
                return out.mul(coef).sumNumber().doubleValue();
            };
            GradCheck.check("x " + scaling, x, dx, loss, 30, 10, 1e-5);
            GradCheck.check("q " + scaling, attn.q.weight.value(), attn.q.weight.grad(), loss, 15, 11, 1e-5);
            GradCheck.check("k " + scaling, attn.k.weight.value(), attn.k.weight.grad(), loss, 15, 12, 1e-5);
        }
    }

    private static Linear linear(Ops ops, String name, int out, int in, boolean bias) {
        Parameter w = new Parameter(name, Nd4j.randn(DataType.DOUBLE, out, in), Nd4j.zeros(DataType.DOUBLE, out, in));
        Parameter b = bias ? new Parameter(name + "b", Nd4j.randn(DataType.DOUBLE, out), Nd4j.zeros(DataType.DOUBLE, out))
                : null;
        return new Linear(ops, w, b);
    }
}
