package org.align4j.cli;

import org.align4j.policy.ops.Backends;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.cuda.CudaException;
import org.align4j.policy.ops.cuda.CudaOps;
import picocli.CommandLine.Option;

/**
 * --device cpu|cuda, shared by the commands that build models (a picocli mixin). It must be applied
 * before any model is created: Backends decides which Ops new models run on.
 */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "cpu|cuda", description = "Run the model on the CPU (default) or on an "
            + "NVIDIA GPU through CUDA 13 (bf16: true in the config, or ALIGN4J_CUDA_BF16=1: bf16 matrix products and "
            + "tensor-core attention).")
    String device = "cpu";

    /** Selects the backend; a missing or unusable GPU is one clear error. */
    void apply() {
        switch (device) {
            case "cpu" -> Backends.use(Ops.cpu());
            case "cuda" -> {
                CudaOps ops;
                try {
                    ops = new CudaOps();
                } catch (CudaException | LinkageError e) {
                    throw new IllegalArgumentException("--device cuda: " + e.getMessage(), e);
                }
                System.err.println("align4j: device cuda: " + ops.describe());
                Backends.use(ops);
            }
            default -> throw new IllegalArgumentException("--device must be cpu or cuda, got '" + device + "'");
        }
    }
}
