package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.DoubleSupplier;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DeepSeekMoE ops of the CPU backend: routing identical to the host router ({@link MoeRouter}, the code the
 * model used before routing became an op), the sort by expert, the grouped expert path against a per-token loop
 * over the chosen experts, router replay, and float64 gradient checks of every op's backward.
 */
class MoeRoutingOpsTest {
    static final DataType F64 = DataType.DOUBLE;
    private final Ops ops = Ops.cpu();

    /** Routing rules: V2 greedy and group-limited (softmax), V3 noaux_tc with groups and with one group. */
    static MoeConfig config(String variant) {
        return switch (variant) {
            case "v2-greedy" -> new MoeConfig(0, 1, 8, 3, 5, 1, MoeConfig.SOFTMAX, MoeConfig.GREEDY, 1, 1, false, 1.5);
            case "v2-groups" -> new MoeConfig(0, 1, 8, 3, 5, 0, MoeConfig.SOFTMAX, MoeConfig.GROUP_LIMITED_GREEDY, 4, 2,
                    true, 1.0);
            case "v3" -> new MoeConfig(0, 1, 8, 3, 5, 1, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 4, 2, true, 2.5);
            case "v3-one-group" -> new MoeConfig(0, 1, 8, 2, 5, 2, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 1, 1, false,
                    1.0);
            // DeepSeek-V3's sizes: 256 experts in 8 groups, 4 groups and 8 experts per token
            case "v3-large" -> new MoeConfig(0, 1, 256, 8, 5, 1, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 8, 4, true,
                    2.5);
            default -> throw new IllegalArgumentException(variant);
        };
    }

    /** Logits [rows, experts] with an all-equal row (ties) and a row with repeated values. */
    static INDArray logits(MoeConfig c, int rows, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray l = Nd4j.randn(F64, rows, c.nRoutedExperts());
        l.getRow(1).assign(0.25);
        for (int e = 0; e < c.nRoutedExperts(); e += 2) {
            l.putScalar(3, e, l.getDouble(3, e + 1));
        }
        return l;
    }

    static INDArray bias(MoeConfig c, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return c.hasCorrectionBias() ? Nd4j.randn(F64, c.nRoutedExperts()).muli(0.3) : null;
    }

    /** The last three rows are padding. */
    static boolean[] valid(int rows) {
        boolean[] v = new boolean[rows];
        Arrays.fill(v, true);
        for (int r = rows - 3; r < rows; r++) {
            v[r] = false;
        }
        return v;
    }

    /** The routing op's outputs. */
    record Routed(INDArray scores, INDArray top, INDArray weight) {
        int[] experts() {
            return top.ravel().toIntVector();
        }
    }

    static Routed route(Ops ops, MoeConfig c, INDArray logits, INDArray bias, boolean[] valid) {
        int rows = Math.toIntExact(logits.size(0));
        Routed r = new Routed(Nd4j.create(logits.dataType(), rows, c.nRoutedExperts()),
                Nd4j.create(DataType.INT, rows, c.numExpertsPerTok()),
                Nd4j.create(logits.dataType(), rows, c.numExpertsPerTok()));
        ops.moeRoute(logits, bias, c.gate(), valid, false, r.scores, r.top, r.weight);
        ops.toHost(r.scores);
        ops.toHost(r.top);
        ops.toHost(r.weight);
        return r;
    }

    @ParameterizedTest
    @CsvSource({"v2-greedy,DOUBLE", "v2-groups,DOUBLE", "v3,DOUBLE", "v3-one-group,DOUBLE", "v3-large,DOUBLE",
            "v2-greedy,FLOAT", "v2-groups,FLOAT", "v3,FLOAT", "v3-large,FLOAT"})
    void routingEqualsTheHostRouter(String variant, DataType dtype) {
        MoeConfig c = config(variant);
        int rows = 23;
        int k = c.numExpertsPerTok();
        INDArray logits = logits(c, rows, 11).castTo(dtype);
        INDArray bias = bias(c, 12);
        bias = bias == null ? null : bias.castTo(dtype);
        boolean[] valid = valid(rows);
        // the host router on the same (possibly float-rounded) inputs, in double
        MoeRouter.Routing ref = new MoeRouter(c).route(logits.castTo(F64).ravel().toDoubleVector(), rows,
                bias == null ? null : bias.castTo(F64).toDoubleVector(), valid, rows, 0);
        Routed got = route(ops, c, logits, bias, valid);
        int[] top = got.experts();
        double[] w = got.weight.castTo(F64).ravel().toDoubleVector();
        double[] s = got.scores.castTo(F64).ravel().toDoubleVector();
        double tol = dtype == F64 ? 0.0 : 1e-6;
        for (int i = 0; i < s.length; i++) {
            assertEquals(ref.scores[i], s[i], tol * Math.abs(ref.scores[i]), "score " + i);
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                int i = r * k + j;
                if (!valid[r]) {
                    assertEquals(-1, top[i]);
                    assertEquals(0.0, w[i]);
                    continue;
                }
                assertEquals(ref.chosen[i], top[i], "row " + r + " choice " + j);
                double want = ref.weightOf[ref.slotOf[i]];
                assertEquals(want, w[i], tol * Math.abs(want), "row " + r + " weight " + j);
            }
        }
        // ties: the all-equal row takes the lowest expert ids of the allowed groups
        assertEquals(ref.chosen[k], top[k]);

        // the sort by expert reproduces the host router's packing
        int n = rows * k;
        INDArray order = Nd4j.create(DataType.INT, n);
        INDArray slotOf = Nd4j.create(DataType.INT, n);
        INDArray offsets = Nd4j.create(DataType.INT, c.nRoutedExperts() + 1);
        ops.moeSortByExpert(got.top, c.nRoutedExperts(), order, slotOf, offsets);
        assertArrayEquals(ref.start, offsets.toIntVector());
        assertArrayEquals(ref.slotOf, slotOf.toIntVector());
        int[] ord = order.toIntVector();
        for (int slot = 0; slot < ref.slots(); slot++) {
            assertEquals(ref.rowOf[slot], ord[slot] / k, "slot " + slot);
            assertEquals(ref.expertOf[slot], top[ord[slot]], "slot " + slot);
        }
        for (int slot = ref.slots(); slot < n; slot++) {
            assertEquals(-1, ord[slot]);
        }
    }

    @Test
    void replayKeepsTheGivenExpertsAndWeighsThemWithTheNewScores() {
        MoeConfig c = config("v3");
        int rows = 9;
        int k = c.numExpertsPerTok();
        boolean[] valid = valid(rows);
        Routed first = route(ops, c, logits(c, rows, 1), bias(c, 2), valid);
        INDArray other = logits(c, rows, 3).muli(2);
        Routed fresh = route(ops, c, other, bias(c, 2), valid);
        assertTrue(!Arrays.equals(first.experts(), fresh.experts()), "new logits choose other experts");
        INDArray scores = Nd4j.create(F64, rows, c.nRoutedExperts());
        INDArray top = first.top.dup();
        INDArray weight = Nd4j.create(F64, rows, k);
        ops.moeRoute(other, bias(c, 2), c.gate(), valid, true, scores, top, weight);
        assertArrayEquals(first.experts(), top.ravel().toIntVector());
        assertEquals(fresh.scores, scores);
        for (int r = 0; r < rows - 3; r++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += scores.getDouble(r, top.getInt(r, j));
            }
            for (int j = 0; j < k; j++) {
                double want = scores.getDouble(r, top.getInt(r, j)) / (sum + 1e-20) * c.routedScalingFactor();
                assertEquals(want, weight.getDouble(r, j), 1e-15);
            }
        }
    }

    private static Linear linear(Ops ops, String name, int out, int in) {
        return new Linear(ops, new Parameter(name, Nd4j.randn(F64, out, in).muli(0.5), Nd4j.zeros(F64, out, in)),
                null);
    }

    private static SwiGluMlp mlp(Ops ops, String name, int width, int hidden) {
        return new SwiGluMlp(ops, linear(ops, name + "g", width, hidden), linear(ops, name + "u", width, hidden),
                linear(ops, name + "d", hidden, width));
    }

    /** silu(x G^T) * (x U^T) D^T for one row x [1, hidden], with plain ND4J. */
    private static INDArray expert(SwiGluMlp m, INDArray x) {
        INDArray g = x.mmul(m.gate.weight.value().transpose());
        INDArray u = x.mmul(m.up.weight.value().transpose());
        INDArray act = g.mul(org.nd4j.linalg.ops.transforms.Transforms.sigmoid(g, true)).muli(u);
        return act.mmul(m.down.weight.value().transpose());
    }

    @ParameterizedTest
    @ValueSource(strings = {"v2-greedy", "v2-groups", "v3", "v3-one-group"})
    void groupedExpertsEqualAPerTokenLoop(String variant) {
        MoeConfig c = config(variant);
        Nd4j.getRandom().setSeed(4);
        int hidden = 6;
        SwiGluMlp[] experts = new SwiGluMlp[c.nRoutedExperts()];
        for (int e = 0; e < experts.length; e++) {
            experts[e] = mlp(ops, "e" + e, c.moeIntermediateSize(), hidden);
        }
        SwiGluMlp shared = c.nSharedExperts() == 0 ? null : mlp(ops, "s", c.moeIntermediateSize() * c.nSharedExperts(),
                hidden);
        INDArray biasValue = bias(c, 5);
        Parameter bias = biasValue == null ? null : new Parameter("b", biasValue, Nd4j.zeros(F64, biasValue.shape()));
        Linear router = linear(ops, "r", c.nRoutedExperts(), hidden);
        MoeFeedForward moe = new MoeFeedForward(ops, c, router, bias, experts, shared);
        Shape s = new Shape(3, 5, F64);
        boolean[] valid = valid(s.rows);
        INDArray x = Nd4j.randn(F64, s.rows, hidden);
        INDArray out = Nd4j.zeros(F64, s.rows, hidden);
        moe.forward(s, x, moe.newActs(s), out, valid);

        INDArray logits = x.mmul(router.weight.value().transpose());
        MoeRouter.Routing ref = new MoeRouter(c).route(logits.ravel().toDoubleVector(), s.rows,
                biasValue == null ? null : biasValue.toDoubleVector(), valid, s.seq, 0);
        int k = c.numExpertsPerTok();
        long routed = 0;
        for (int r = 0; r < s.rows; r++) {
            if (!valid[r]) {
                continue;
            }
            INDArray xr = x.getRow(r).reshape(1, hidden);
            INDArray want = shared == null ? Nd4j.zeros(F64, 1, hidden) : expert(shared, xr);
            for (int j = 0; j < k; j++) {
                int slot = ref.slotOf[r * k + j];
                want.addi(expert(experts[ref.expertOf[slot]], xr).muli(ref.weightOf[slot]));
                routed++;
            }
            double err = want.reshape(hidden).sub(out.getRow(r)).amaxNumber().doubleValue();
            assertTrue(err < 1e-12, "row " + r + ": grouped and per-token outputs differ by " + err);
        }
        assertEquals(routed, Arrays.stream(moe.load()).sum(), "load counts every routed token once");
    }

    private static double dot(INDArray a, INDArray b) {
        return a.castTo(F64).mul(b.castTo(F64)).sumNumber().doubleValue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"v2-greedy", "v2-groups", "v3", "v3-one-group"})
    void routeBackwardMatchesFiniteDifferences(String variant) {
        MoeConfig c = config(variant);
        int rows = 10;
        int k = c.numExpertsPerTok();
        INDArray logits = logits(c, rows, 21);
        // no exact ties under the finite-difference probe (a tie would flip a choice)
        logits.getRow(1).addi(Nd4j.randn(F64, c.nRoutedExperts()).muli(0.1));
        logits.getRow(3).addi(Nd4j.randn(F64, c.nRoutedExperts()).muli(0.1));
        INDArray bias = bias(c, 22);
        boolean[] valid = valid(rows);
        Nd4j.getRandom().setSeed(23);
        INDArray cw = Nd4j.randn(F64, rows, k);
        INDArray cs = Nd4j.randn(F64, rows, c.nRoutedExperts());
        Routed r = route(ops, c, logits, bias, valid);
        INDArray dLogits = Nd4j.create(F64, rows, c.nRoutedExperts());
        ops.moeRouteBackward(r.scores, r.top, cw, cs, c.gate(), dLogits);
        DoubleSupplier loss = () -> {
            Routed q = route(ops, c, logits, bias, valid);
            return dot(q.weight, cw) + dot(q.scores, cs);
        };
        GradCheck.check("logits", logits, dLogits, loss, (int) logits.length(), 24, 1e-6);
        // without the direct score gradient (dScores null)
        ops.moeRouteBackward(r.scores, r.top, cw, null, c.gate(), dLogits);
        GradCheck.check("logits (weights only)", logits, dLogits, () -> dot(route(ops, c, logits, bias, valid).weight,
                cw), (int) logits.length(), 25, 1e-6);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void gatherAndCombineBackwardMatchFiniteDifferences(boolean weighted) {
        MoeConfig c = config("v2-groups");
        int rows = 8;
        int k = c.numExpertsPerTok();
        int w = 4;
        boolean[] valid = valid(rows);
        Routed r = route(ops, c, logits(c, rows, 31), null, valid);
        int n = rows * k;
        INDArray order = Nd4j.create(DataType.INT, n);
        INDArray slotOf = Nd4j.create(DataType.INT, n);
        INDArray offsets = Nd4j.create(DataType.INT, c.nRoutedExperts() + 1);
        ops.moeSortByExpert(r.top, c.nRoutedExperts(), order, slotOf, offsets);
        int slots = offsets.getInt(c.nRoutedExperts());
        assertEquals((rows - 3) * k, slots);
        Nd4j.getRandom().setSeed(32);
        INDArray src = Nd4j.randn(F64, n, w);
        INDArray weight = weighted ? r.weight.dup() : null;
        INDArray coef = Nd4j.randn(F64, rows, w);
        INDArray dst = Nd4j.create(F64, rows, w);
        DoubleSupplier loss = () -> {
            dst.assign(0.5); // combine adds: the start value is a constant of the loss
            ops.moeCombine(src, slotOf, weight, dst);
            return dot(dst, coef);
        };
        // d/d(src) of combine is the (weighted) gather of the coefficients
        INDArray dSrc = Nd4j.zeros(F64, n, w);
        ops.moeGather(coef, order, k, weight, slots, dSrc);
        GradCheck.check("src", src, dSrc, loss, (int) src.length(), 33, 1e-7);
        if (weighted) {
            INDArray dWeight = Nd4j.create(F64, rows, k);
            ops.moeCombineWeightGrad(coef, src, slotOf, dWeight);
            GradCheck.check("weight", weight, dWeight, loss, (int) weight.length(), 34, 1e-7);
        }
        // and gather's own backward is combine: <gather(x), C> has gradient combine(C) with respect to x
        INDArray x = Nd4j.randn(F64, rows, w);
        INDArray cg = Nd4j.randn(F64, n, w);
        INDArray gathered = Nd4j.zeros(F64, n, w);
        INDArray dx = Nd4j.zeros(F64, rows, w);
        ops.moeCombine(cg, slotOf, weight, dx);
        GradCheck.check("gather x", x, dx, () -> {
            ops.moeGather(x, order, k, weight, slots, gathered);
            return dot(gathered, cg);
        }, (int) x.length(), 35, 1e-7);
    }
}
