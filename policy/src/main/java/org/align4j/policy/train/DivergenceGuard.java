package org.align4j.policy.train;

/**
 * Decides, step by step, whether a run has diverged (see {@link TrainingLoop}):
 * <ul>
 *   <li>a weight that is not finite after an update: diverged at once;</li>
 *   <li>a non-finite loss or gradient norm: the update is refused and the step skipped; more than
 *       {@code max_skipped_steps} such steps in the run: diverged;</li>
 *   <li>{@code max_kl > 0}: a step's KL to the reference above it (or not finite): diverged;</li>
 *   <li>{@code max_loss_spike > 0}: a step's loss above the running mean of the good steps before it (an
 *       exponential mean with decay {@value #DECAY}) by more than {@code max_loss_spike x max(1, |mean|)}:
 *       diverged. Relative, so that one default serves losses of any scale; 1 as the floor, so that a mean near 0
 *       (a GRPO surrogate) does not make every step a spike.</li>
 * </ul>
 */
public final class DivergenceGuard {
    /** The decay of the loss's running mean: about the last 10 steps. */
    static final double DECAY = 0.9;

    private final int maxSkippedSteps;
    private final double maxLossSpike;
    private final double maxKl;
    private int skipped;
    private double meanSum;
    private double meanWeight;

    /** What a step was: good, skipped (refused update, within the bound), or diverged (the reason). */
    public record Verdict(boolean skipped, String diverged) {
        static final Verdict GOOD = new Verdict(false, null);

        public boolean good() {
            return !skipped && diverged == null;
        }
    }

    public DivergenceGuard(int maxSkippedSteps, double maxLossSpike, double maxKl) {
        this.maxSkippedSteps = maxSkippedSteps;
        this.maxLossSpike = maxLossSpike;
        this.maxKl = maxKl;
    }

    public DivergenceGuard(TrainingConfig c) {
        this(c.maxSkippedSteps, c.maxLossSpike, c.klLimit());
    }

    /** Judges the report of a step; the reason names the quantity and its value. */
    public Verdict check(TrainingStep.Report r) {
        if (!r.weightsFinite()) {
            return new Verdict(false, "non-finite weights after the update (grad norm " + r.gradNorm() + ", learning rate "
                    + r.learningRate() + ")");
        }
        if (r.skipped() || !Double.isFinite(r.loss())) {
            skipped++;
            String what = !Double.isFinite(r.loss()) ? "loss " + r.loss() : "grad norm " + r.gradNorm();
            if (skipped > maxSkippedSteps) {
                return new Verdict(true, "non-finite " + what + " (" + skipped + " steps with a non-finite loss or "
                        + "gradient, max_skipped_steps " + maxSkippedSteps + ")");
            }
            return new Verdict(true, null);
        }
        if (maxKl > 0 && !Double.isNaN(r.kl()) && !(r.kl() <= maxKl)) {
            return new Verdict(false, "kl " + r.kl() + " above max_kl " + maxKl);
        }
        if (maxLossSpike > 0 && meanWeight > 0) {
            double mean = meanSum / meanWeight;
            double limit = maxLossSpike * Math.max(1, Math.abs(mean));
            if (r.loss() - mean > limit) {
                return new Verdict(false, String.format(java.util.Locale.ROOT,
                        "loss %s is %.4g above its running mean %.4g (limit %.4g: max_loss_spike %s x max(1, |mean|))",
                        r.loss(), r.loss() - mean, mean, limit, maxLossSpike));
            }
        }
        meanSum = DECAY * meanSum + r.loss();
        meanWeight = DECAY * meanWeight + 1;
        return Verdict.GOOD;
    }
}
