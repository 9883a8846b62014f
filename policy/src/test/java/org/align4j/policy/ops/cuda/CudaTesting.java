package org.align4j.policy.ops.cuda;

/**
 * One CudaOps for all GPU test classes of a JVM (each instance has its own stream and mirrors, so tests
 * share one rather than creating several). GPU tests are annotated
 * {@code @EnabledIf("org.align4j.policy.ops.cuda.CudaOps#available")} and are reported as skipped on a
 * machine without a CUDA device.
 */
public final class CudaTesting {
    private static CudaOps ops;

    private CudaTesting() {
    }

    public static synchronized CudaOps ops() {
        if (ops == null) {
            ops = new CudaOps(CudaOps.Options.defaults());
            System.out.println("GPU tests on " + ops.describe());
        }
        return ops;
    }
}
