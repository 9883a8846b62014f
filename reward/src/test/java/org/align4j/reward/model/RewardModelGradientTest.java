package org.align4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.align4j.policy.model.Parameter;
import org.align4j.reward.model.RewardEncoder.Encoded;
import org.align4j.reward.model.train.RewardExample;
import org.align4j.reward.model.train.RewardMetrics;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reward model's analytic gradients (scalar head plus trunk, through the Bradley-Terry and BCE losses)
 * against central finite differences in float64 on a tiny model.
 */
class RewardModelGradientTest {

    private static Encoded sample(int[] ids, int... stepPositions) {
        return new Encoded(ids, 1, stepPositions, stepPositions.clone(), stepPositions.clone(), false);
    }

    private static List<RewardExample> examples() {
        Random r = new Random(5);
        int[][] seqs = new int[4][];
        int[] lengths = {6, 9, 5, 8};
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = new int[lengths[i]];
            for (int t = 0; t < lengths[i]; t++) {
                seqs[i][t] = r.nextInt(16);
            }
        }
        return List.of(
                new RewardExample.Preference(sample(seqs[0]), sample(seqs[1])),
                new RewardExample.Outcome(sample(seqs[2]), 1),
                new RewardExample.Steps(sample(seqs[3], 2, 5, 7), new int[] {1, 1, 0}));
    }

    /** Sum of the examples' losses; when backward, also accumulates the gradients. */
    private static double loss(RewardModel model, List<RewardExample> examples, boolean backward) {
        List<int[]> seqs = new ArrayList<>();
        List<int[]> pos = new ArrayList<>();
        for (RewardExample e : examples) {
            seqs.addAll(e.sequences());
            pos.addAll(List.of(e.positions()));
        }
        RewardForward f = model.forward(seqs, pos.toArray(new int[0][]));
        double[][] scores = f.scores();
        double[][] grad = new double[scores.length][];
        RewardMetrics m = new RewardMetrics();
        int s = 0;
        for (RewardExample e : examples) {
            int n = e.sequences().size();
            double[][] g = e.lossGradient(java.util.Arrays.copyOfRange(scores, s, s + n), 1.0, m);
            System.arraycopy(g, 0, grad, s, n);
            s += n;
        }
        if (backward) {
            f.backward(grad);
        }
        return m.loss() * m.terms();
    }

    @Test
    void headAndTrunkGradientsMatchFiniteDifferences() {
        RewardModel model = RewardModel.create(TestRewardModels.tinyTrunk(DataType.DOUBLE, 11), RewardModelKind.ORM, 3);
        // a head of realistic size, so the trunk gradients are not all tiny
        model.head().parameters().get(0).value().muli(20);
        List<RewardExample> ex = examples();
        model.zeroGrad();
        loss(model, ex, true);
        for (String name : List.of("score.weight", "score.bias", "model.embed_tokens.weight",
                "model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.norm.weight")) {
            Parameter p = model.parameters().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow();
            check(name, p.value(), p.grad().dup(), () -> loss(model, ex, false));
        }
    }

    private static void check(String what, INDArray x, INDArray analytic, java.util.function.DoubleSupplier loss) {
        Random r = new Random(what.hashCode());
        long n = x.length();
        double h = 1e-6;
        int checked = 0;
        for (int s = 0; s < Math.min(8, n); s++) {
            long i = n <= 8 ? s : (long) (r.nextDouble() * n);
            double orig = x.getDouble(i);
            x.putScalar(i, orig + h);
            double up = loss.getAsDouble();
            x.putScalar(i, orig - h);
            double down = loss.getAsDouble();
            x.putScalar(i, orig);
            double numeric = (up - down) / (2 * h);
            double a = analytic.getDouble(i);
            double err = Math.abs(numeric - a) / Math.max(1e-7, Math.abs(numeric) + Math.abs(a));
            assertTrue(err < 1e-5 || Math.abs(numeric - a) < 1e-9,
                    what + "[" + i + "]: analytic " + a + " numeric " + numeric + " rel err " + err);
            checked += Math.abs(a) > 1e-8 ? 1 : 0;
        }
        assertTrue(checked > 0, what + ": every sampled gradient entry was zero");
    }
}
