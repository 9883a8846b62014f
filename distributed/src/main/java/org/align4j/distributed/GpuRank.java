package org.align4j.distributed;

import org.align4j.policy.ops.cuda.CudaOps;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The GPU of a rank: the one Spark's GPU scheduling assigned to the task (spark.task.resource.gpu.amount=1), or,
 * in local mode (no resources scheduled), GPU number rank of this host.
 */
final class GpuRank {
    private GpuRank() {
    }

    static CudaOps ops(BarrierTaskContext context, int rank) {
        ResourceInformation gpus = context.resources().get("gpu").getOrElse(() -> null);
        int device = gpus != null && gpus.addresses().length > 0 ? Integer.parseInt(gpus.addresses()[0]) : rank;
        return new CudaOps(CudaOps.Options.fromEnvironment(), device);
    }
}
