package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences in float64 against an analytic gradient, on sampled entries. Shared with the other
 * modules through policy's test-jar (see {@link org.align4j.policy.testing.TestFixtures}).
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * For {@code samples} random entries i of {@code x}: (loss(x + h e_i) - loss(x - h e_i)) / 2h must
     * match analytic[i] within a relative error of {@code tol} (absolute for tiny gradients).
     */
    public static void check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, int samples, long seed,
                      double tol) {
        check(Ops.cpu(), what, x, analytic, loss, samples, seed, tol);
    }

    /** The same for arrays that ops may hold on a device: each perturbation is a host edit through ops. */
    public static void check(Ops ops, String what, INDArray x, INDArray analytic, DoubleSupplier loss, int samples, long seed,
                      double tol) {
        check(ops, what, x, analytic, loss, samples, seed, tol, 1e-9);
    }

    /** Units in the last place of the loss that a finite difference cannot resolve (see the floor below). */
    public static final double ROUNDING_ULPS = 4;

    /** The step of the central differences. */
    public static final double H = 1e-6;

    /**
     * The same, with absFloor as the absolute difference always accepted: a loss whose evaluation is not
     * bit-reproducible (GPU reductions by atomics) has finite differences noisy by about its spread / (2 H).
     * Also always accepted: a difference within {@link #ROUNDING_ULPS} units in the last place of the loss over 2 H,
     * which is what the loss's own rounding leaves unresolved in any finite difference (one ulp of a loss of 16 over
     * 2e-6 is 1.8e-9: DeepSeek-V3's shared-expert gradient of 2.8e-6 was off by 2.1e-9 on the H100, the CPU's
     * rounding by less).
     */
    public static void check(Ops ops, String what, INDArray x, INDArray analytic, DoubleSupplier loss, int samples, long seed,
                      double tol, double absFloor) {
        ops.toHost(x);
        ops.toHost(analytic);
        Random r = new Random(seed);
        long n = x.length();
        double h = H;
        for (int s = 0; s < Math.min(samples, n); s++) {
            long i = samples >= n ? s : (long) (r.nextDouble() * n);
            double orig = x.getDouble(i);
            ops.editOnHost(() -> x.putScalar(i, orig + h), x);
            double up = loss.getAsDouble();
            ops.editOnHost(() -> x.putScalar(i, orig - h), x);
            double down = loss.getAsDouble();
            ops.editOnHost(() -> x.putScalar(i, orig), x);
            double numeric = (up - down) / (2 * h);
            double a = analytic.getDouble(i);
            double err = Math.abs(numeric - a) / Math.max(1e-7, Math.abs(numeric) + Math.abs(a));
            double unresolved = ROUNDING_ULPS * Math.ulp(Math.max(Math.abs(up), Math.abs(down))) / (2 * h);
            assertTrue(err < tol || Math.abs(numeric - a) < Math.max(absFloor, unresolved),
                    what + "[" + i + "]: analytic " + a + " numeric " + numeric + " rel err " + err);
        }
    }
}
