package org.align4j.dpo;

import org.align4j.dpo.loss.PreferenceLoss;
import org.align4j.dpo.loss.PreferenceLosses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The DPO loss differentiated end to end through a tiny float64 model, against finite differences. */
class DpoModelGradientTest {

    static final List<PreferencePair> PAIRS = List.of(
            new PreferencePair(new int[] {1, 4, 6}, new int[] {7, 3, 2}, new int[] {9, 2}, "t:1"),
            new PreferencePair(new int[] {1, 5}, new int[] {8, 2}, new int[] {10, 11, 12, 2}, "t:2"),
            new PreferencePair(new int[] {1, 12, 3, 3}, new int[] {4}, new int[] {5, 6}, "t:3"));

    static CausalLM tinyModel(long seed) {
        ModelConfig c = ModelConfig.llama(13, 8, 12, 2, 2, 1, 32, 1, new int[] {2});
        CausalLM m = CausalLM.initialize(c, DataType.DOUBLE, seed);
        // weights well away from 0 so that every path carries a visible gradient
        Nd4j.getRandom().setSeed(seed + 1);
        for (Parameter p : m.parameters()) {
            p.value().addi(Nd4j.randn(DataType.DOUBLE, p.value().shape()).muli(0.3));
        }
        return m;
    }

    private static double loss(CausalLM policy, PairBatch batch, double[][] ref, DpoLoss dpo) {
        double[][] lp = policy.forward(batch.tokens()).tokenLogProbs();
        return dpo.compute(batch.chosen(lp), batch.rejected(lp), ref[0], ref[1], batch.size()).loss;
    }

    @ParameterizedTest
    @CsvSource({"sigmoid,0.5,0.1", "hinge,0.1,0", "ipo,0.5,0", "robust,0.5,0.1", "sigmoid_norm,0.5,0", "apo_zero,0.5,0"})
    void parameterGradientsMatchFiniteDifferences(String type, double beta, double smoothing) {
        CausalLM reference = tinyModel(3);
        CausalLM policy = reference.copy();
        Nd4j.getRandom().setSeed(9);
        for (Parameter p : policy.parameters()) {
            p.value().addi(Nd4j.randn(DataType.DOUBLE, p.value().shape()).muli(0.2));
        }
        PreferenceLoss lossType = PreferenceLosses.get(type);
        DpoLoss dpo = new DpoLoss(lossType, beta, smoothing);
        PairBatch batch = new PairBatch(PAIRS, lossType.averagesTokens());
        double[][] ref = ReferenceLogProbs.onTheFly(reference).of(batch);

        policy.zeroGrad();
        Forward f = policy.forward(batch.tokens());
        double[][] lp = f.tokenLogProbs();
        DpoLoss.Result r = dpo.compute(batch.chosen(lp), batch.rejected(lp), ref[0], ref[1], batch.size());
        f.backward(batch.spread(r.dChosen, r.dRejected));

        Random rnd = new Random(5);
        double h = 1e-6;
        int checked = 0;
        for (Parameter p : policy.parameters()) {
            INDArray x = p.value();
            for (int s = 0; s < 4; s++) {
                long i = (long) (rnd.nextDouble() * x.length());
                double orig = x.getDouble(i);
                x.putScalar(i, orig + h);
                double up = loss(policy, batch, ref, dpo);
                x.putScalar(i, orig - h);
                double down = loss(policy, batch, ref, dpo);
                x.putScalar(i, orig);
                double numeric = (up - down) / (2 * h);
                double analytic = p.grad().getDouble(i);
                assertEquals(numeric, analytic, 1e-6 * Math.max(1e-3, Math.abs(numeric)) + 1e-9,
                        type + " " + p.name() + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked > 40);
    }

    @ParameterizedTest
    @CsvSource({"0.1", "0.5"})
    void lossIsLog2WhilePolicyEqualsReference(double beta) {
        CausalLM policy = tinyModel(4);
        PairBatch batch = new PairBatch(PAIRS, false);
        double[][] ref = ReferenceLogProbs.onTheFly(policy.copy()).of(batch);
        double[][] refPre = ReferenceLogProbs.precomputed()
                .of(new PairBatch(ReferenceLogProbs.precompute(policy, PAIRS, 2, false, null), false));
        assertEquals(ref[0][2], refPre[0][2], 1e-12, "precomputed and on-the-fly reference agree");
        assertEquals(Math.log(2), loss(policy, batch, ref, new DpoLoss(PreferenceLosses.get("sigmoid"), beta, 0)), 1e-12);
    }
}
