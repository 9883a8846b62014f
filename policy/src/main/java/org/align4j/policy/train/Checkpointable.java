package org.align4j.policy.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a trainer's resumable state (model directory, optimizer state, reference model, ...) into a fresh
 * checkpoint directory. {@link RunDirectory} calls it with a temporary directory that becomes the checkpoint
 * only after this returns, so an implementation may write files plainly, in any order.
 */
@FunctionalInterface
public interface Checkpointable {
    void save(Path checkpointDir) throws IOException;
}
