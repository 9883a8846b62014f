package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Whole-model float64 gradient checks through the log-prob and the hidden-state entry points. */
class CausalLMGradientTest {

    static ModelConfig tiny(String arch, boolean tied) {
        return new ModelConfig(arch, 13, 8, 12, 2, 4, 2, 4, 64, 1e-6, 10000.0, tied,
                arch.equals(ModelConfig.QWEN2), 1, new int[] {2});
    }

    static CausalLM randomModel(ModelConfig c, long seed) {
        return randomModel(c, seed, Ops.cpu());
    }

    static CausalLM randomModel(ModelConfig c, long seed, Ops ops) {
        CausalLM m = CausalLM.initialize(c, DataType.DOUBLE, seed, ops);
        // Larger, non-trivial weights so that every path carries gradient (norm gains away from 1).
        Nd4j.getRandom().setSeed(seed + 1);
        m.editWeights(w -> {
            for (Parameter p : m.parameters()) {
                p.value().assign(Nd4j.randn(DataType.DOUBLE, p.value().shape()).muli(0.5));
                if (p.name().endsWith("norm.weight") || p.name().endsWith("layernorm.weight")) {
                    p.value().addi(1.0);
                }
            }
        });
        return m;
    }

    static TokenBatch batch() {
        return TokenBatch.of(new int[] {1, 5, 7, 3, 9, 11, 4}, new int[] {2, 8, 6}, new int[] {12, 0, 1, 10, 5});
    }

    static double[][] coefficients(TokenBatch b, long seed) {
        Random r = new Random(seed);
        double[][] c = new double[b.size()][];
        for (int i = 0; i < b.size(); i++) {
            c[i] = new double[b.length(i) - 1];
            for (int t = 0; t < c[i].length; t++) {
                c[i][t] = r.nextGaussian();
            }
        }
        return c;
    }

    /** Zeroes m's gradients, runs a forward pass and the backward pass of sum(c * log-probs); the log-probs. */
    static double[][] forwardBackward(CausalLM m, TokenBatch b, double[][] c) {
        m.zeroGrad();
        Forward f = m.forward(b);
        double[][] lp = f.tokenLogProbs();
        f.backward(c);
        return lp;
    }

    static double weighted(double[][] lp, double[][] c) {
        double s = 0;
        for (int i = 0; i < lp.length; i++) {
            for (int t = 0; t < lp[i].length; t++) {
                s += lp[i][t] * c[i][t];
            }
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM,false", "LlamaForCausalLM,true", "Qwen2ForCausalLM,false"})
    void logProbGradientMatchesFiniteDifferences(String arch, boolean tied) {
        CausalLM m = randomModel(tiny(arch, tied), 7);
        TokenBatch b = batch();
        double[][] c = coefficients(b, 3);
        m.zeroGrad();
        m.forward(b).backward(c);
        for (Parameter p : m.parameters()) {
            GradCheck.check(p.name(), p.value(), p.grad(), () -> weighted(m.forward(b).tokenLogProbs(), c), 6, 11,
                    1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM,false", "Qwen2ForCausalLM,true"})
    void logProbGradientAtATemperatureMatchesFiniteDifferences(String arch, boolean tied) {
        CausalLM m = randomModel(tiny(arch, tied), 17);
        TokenBatch b = batch();
        double[][] c = coefficients(b, 4);
        double temperature = 0.7;
        for (int chunk : new int[] {0, 3}) { // the LM head whole, and in chunks of 3 rows
            m.setLmHeadChunkSize(chunk);
            m.zeroGrad();
            m.forward(b, temperature).backward(c);
            for (Parameter p : m.parameters()) {
                GradCheck.check(p.name() + " (chunk " + chunk + ")", p.value(), p.grad(),
                        () -> weighted(m.forward(b, temperature).tokenLogProbs(), c), 6, 11, 1e-5);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM"})
    void temperatureDividesTheLogits(String arch) {
        CausalLM m = randomModel(tiny(arch, false), 19);
        TokenBatch b = batch();
        double temperature = 1.7;
        INDArray logits = m.forward(b).logits().dup();
        Forward hot = m.forward(b, temperature);
        double[][] lp = hot.tokenLogProbs();
        double[][] ent = hot.tokenEntropies();
        Forward plain = m.forward(b);
        for (int row = 0; row < b.size(); row++) {
            for (int t = 0; t < b.length(row) - 1; t++) {
                INDArray z = logits.getRow(plain.rowIndex(row, t)).div(temperature);
                double max = z.maxNumber().doubleValue();
                double lse = max + Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(z.sub(max), true)
                        .sumNumber().doubleValue());
                int target = b.flatTargets(plain.paddedWidth())[plain.rowIndex(row, t)];
                assertEquals(z.getDouble(target) - lse, lp[row][t], 1e-10, "log-prob " + row + "," + t);
                double h = 0;
                for (int v = 0; v < z.length(); v++) {
                    double logq = z.getDouble(v) - lse;
                    h -= Math.exp(logq) * logq;
                }
                assertEquals(h, ent[row][t], 1e-10, "entropy " + row + "," + t);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM,false", "Qwen2ForCausalLM,true"})
    void hiddenStateGradientMatchesFiniteDifferences(String arch, boolean tied) {
        CausalLM m = randomModel(tiny(arch, tied), 5);
        TokenBatch b = batch();
        Forward f = m.forwardHidden(b);
        INDArray coef = Nd4j.randn(DataType.DOUBLE, f.hiddenStates().shape());
        m.zeroGrad();
        f.backwardFromHidden(coef);
        for (Parameter p : m.parameters()) {
            if (p.name().equals("lm_head.weight")) {
                assertEquals(0.0, p.grad().norm2Number().doubleValue(), "head untouched by hidden-state loss");
                continue;
            }
            GradCheck.check(p.name(), p.value(), p.grad(),
                    () -> m.forwardHidden(b).hiddenStates().mul(coef).sumNumber().doubleValue(), 6, 13, 1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM", "Qwen2ForCausalLM"})
    void paddingDoesNotChangeRealPositions(String arch) {
        CausalLM m = randomModel(tiny(arch, false), 9);
        int[] shortRow = {2, 8, 6};
        double[] alone = m.forward(TokenBatch.of(shortRow)).tokenLogProbs()[0];
        double[] inBatch = m.forward(batch()).tokenLogProbs()[1];
        assertEquals(alone.length, inBatch.length);
        for (int t = 0; t < alone.length; t++) {
            assertEquals(alone[t], inBatch[t], 1e-12);
        }
    }

    @ParameterizedTest
    @CsvSource({"LlamaForCausalLM", "Qwen2ForCausalLM"})
    void kvCacheDecodingEqualsFullForward(String arch) {
        CausalLM m = randomModel(tiny(arch, false), 21);
        TokenBatch full = batch();
        Forward f = m.forward(full);
        INDArray logits = f.logits().dup();
        int pw = f.paddedWidth();
        // Prompts of different lengths, then feed the rest token by token (teacher forcing through the cache).
        int[] promptLen = {3, 1, 2};
        int[][] prompts = new int[3][];
        for (int b = 0; b < 3; b++) {
            prompts[b] = java.util.Arrays.copyOf(full.row(b), promptLen[b]);
        }
        KvCache cache = m.newKvCache(3, 16);
        INDArray next = m.prefill(cache, TokenBatch.of(prompts));
        int[] pos = promptLen.clone();
        // logits of a row are only defined after a step in which the row took a token
        boolean[] fresh = {true, true, true};
        double maxErr = 0;
        for (int step = 0; step < 8; step++) {
            int[] tokens = new int[3];
            boolean[] active = new boolean[3];
            for (int b = 0; b < 3; b++) {
                // logits for position pos[b]-1 must match the full forward
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
        assertTrue(maxErr < 1e-10, "max |logit difference| " + maxErr);
        for (int b = 0; b < 3; b++) {
            assertEquals(full.length(b), cache.length(b));
        }
    }
}
