package org.align4j.reward.model.train;

import java.util.List;
import org.align4j.reward.model.RewardEncoder.Encoded;
import org.align4j.reward.model.RewardModel;

/**
 * One training example of a reward model, with the loss it contributes:
 * <ul>
 *   <li>{@link Preference}: Bradley-Terry, {@code -log sigmoid(r_chosen - r_rejected)} (TRL's RewardTrainer);</li>
 *   <li>{@link Outcome}: binary cross-entropy of {@code sigmoid(r)} against a 0/1 correctness label;</li>
 *   <li>{@link Steps}: binary cross-entropy at every step end against per-step labels (Math-Shepherd-style
 *       process supervision, TRL's PRMTrainer).</li>
 * </ul>
 * Each pair or label is one loss term; a batch's loss is the mean over its terms.
 */
public sealed interface RewardExample {

    /** The sequences this example needs scored (one forward row each). */
    List<int[]> sequences();

    /** The positions each sequence is scored at. */
    int[][] positions();

    /** Loss terms this example contributes. */
    int terms();

    /**
     * Adds this example's loss terms to metrics and returns d(scale * sum of its term losses)/d(scores),
     * laid out as scores.
     */
    double[][] lossGradient(double[][] scores, double scale, RewardMetrics metrics);

    record Preference(Encoded chosen, Encoded rejected) implements RewardExample {
        @Override
        public List<int[]> sequences() {
            return List.of(chosen.ids(), rejected.ids());
        }

        @Override
        public int[][] positions() {
            return new int[][] {{chosen.lastPosition()}, {rejected.lastPosition()}};
        }

        @Override
        public int terms() {
            return 1;
        }

        @Override
        public double[][] lossGradient(double[][] scores, double scale, RewardMetrics metrics) {
            double rc = scores[0][0];
            double rr = scores[1][0];
            double d = rc - rr;
            metrics.addTerm(softplus(-d), d > 0);
            metrics.addScore(rc, true);
            metrics.addScore(rr, false);
            double g = RewardModel.sigmoid(-d) * scale;
            return new double[][] {{-g}, {g}};
        }
    }

    record Outcome(Encoded sample, int label) implements RewardExample {
        @Override
        public List<int[]> sequences() {
            return List.of(sample.ids());
        }

        @Override
        public int[][] positions() {
            return new int[][] {{sample.lastPosition()}};
        }

        @Override
        public int terms() {
            return 1;
        }

        @Override
        public double[][] lossGradient(double[][] scores, double scale, RewardMetrics metrics) {
            return new double[][] {{binary(scores[0][0], label, scale, metrics)}};
        }
    }

    record Steps(Encoded sample, int[] labels) implements RewardExample {
        public Steps {
            if (labels.length != sample.steps()) {
                throw new IllegalArgumentException(labels.length + " step labels for " + sample.steps() + " steps");
            }
        }

        @Override
        public List<int[]> sequences() {
            return List.of(sample.ids());
        }

        @Override
        public int[][] positions() {
            return new int[][] {sample.stepPositions()};
        }

        @Override
        public int terms() {
            return labels.length;
        }

        @Override
        public double[][] lossGradient(double[][] scores, double scale, RewardMetrics metrics) {
            double[] d = new double[labels.length];
            for (int k = 0; k < labels.length; k++) {
                d[k] = binary(scores[0][k], labels[k], scale, metrics);
            }
            return new double[][] {d};
        }
    }

    /** BCE with logits of one score against a 0/1 label; returns scale * dLoss/dScore. */
    private static double binary(double z, int label, double scale, RewardMetrics metrics) {
        metrics.addTerm(softplus(z) - label * z, (z > 0) == (label == 1));
        metrics.addScore(z, label == 1);
        return (RewardModel.sigmoid(z) - label) * scale;
    }

    /** log(1 + e^x) without overflow. */
    private static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
}
