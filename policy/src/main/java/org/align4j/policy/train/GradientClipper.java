package org.align4j.policy.train;

import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Clips gradients by their global L2 norm over all parameters, as torch.nn.utils.clip_grad_norm_: when the
 * norm exceeds maxNorm every gradient is scaled by maxNorm / (norm + 1e-6). A non-finite norm (NaN or
 * infinite: an overflow or a bad batch) is returned unchanged and nothing is scaled; the caller must then skip
 * the optimizer step, since any update would poison the weights.
 */
public final class GradientClipper {

    private static final Logger LOG = LoggerFactory.getLogger(GradientClipper.class);

    private final double maxNorm;
    private final Ops ops;

    /** Clips at 1.0 (the transformers default max_grad_norm). */
    public GradientClipper() {
        this(1.0, Ops.cpu());
    }

    /** maxNorm <= 0 disables clipping; the norm is still measured. */
    public GradientClipper(double maxNorm, Ops ops) {
        this.maxNorm = maxNorm;
        this.ops = ops;
    }

    /** Measures the global gradient norm, clips when above the limit, and returns the norm before clipping. */
    public double clip(List<Parameter> params) {
        double norm = globalNorm(params, ops);
        if (!Double.isFinite(norm)) {
            LOG.warn("gradient norm is {}: gradients left as they are, the optimizer step should be skipped", norm);
            return norm;
        }
        if (maxNorm > 0) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1.0) {
                for (Parameter p : params) {
                    ops.scale(p.grad(), coef);
                }
            }
        }
        return norm;
    }

    public double maxNorm() {
        return maxNorm;
    }

    /** sqrt of the sum of squares of every gradient element. */
    public static double globalNorm(List<Parameter> params, Ops ops) {
        double sum = 0;
        for (Parameter p : params) {
            sum += ops.sumSquares(p.grad());
        }
        return Math.sqrt(sum);
    }
}
