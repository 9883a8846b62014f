package org.align4j.policy.ops.cuda;

/** A CUDA, cuBLAS or NVRTC call failed; the message names the call and the error. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
