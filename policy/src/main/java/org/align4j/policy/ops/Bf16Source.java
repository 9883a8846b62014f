package org.align4j.policy.ops;

import java.nio.ByteBuffer;

/**
 * The bf16 values of one tensor, read piece by piece (a stored checkpoint tensor: {@code SafeTensors.Reader#bf16}),
 * so that a backend filling a weight from them ({@link Ops#loadBf16}) holds one chunk at a time, never a float32 copy
 * of the tensor.
 */
public interface Bf16Source {
    /** Elements of bf16 bytes to read at once when filling a weight: 4 MiB of bf16. */
    int CHUNK_ELEMENTS = 1 << 21;

    /** Number of bf16 values in the tensor. */
    long elements();

    /**
     * Reads the values from element offset on into dst as little-endian bf16 (2 bytes each), filling dst from its
     * position to its limit (an even number of bytes); dst's position ends at its limit.
     */
    void read(long offset, ByteBuffer dst);
}
