package org.align4j.policy.ops;

/**
 * A backend could not allocate device memory even after returning its cached blocks. Thrown by the CUDA backend's
 * allocator; the training loop turns it into a one-line error naming the phase of the step that ran out (see
 * {@code TrainingOutOfMemoryException}) while the run's checkpoints stay as they were.
 */
public final class DeviceOutOfMemoryException extends RuntimeException {
    private final long requestedBytes;
    private final long liveBytes;

    public DeviceOutOfMemoryException(String device, long requestedBytes, long liveBytes) {
        super(String.format("%s out of memory: %.2f GiB requested with %.2f GiB in use", device,
                requestedBytes / (double) (1L << 30), liveBytes / (double) (1L << 30)));
        this.requestedBytes = requestedBytes;
        this.liveBytes = liveBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    /** Bytes the backend held in live arrays when the allocation failed. */
    public long liveBytes() {
        return liveBytes;
    }
}
