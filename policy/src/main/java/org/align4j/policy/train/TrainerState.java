package org.align4j.policy.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a resumed run needs besides tensors, saved as a checkpoint's {@code trainer_state.json}: the optimizer
 * steps done, the RNG state (so sampling and shuffling continue the same stream), the position in the data
 * (examples consumed since the start), and any trainer-specific fields (e.g. an adaptive KL coefficient).
 */
public record TrainerState(long step, Rng.State rng, long dataPosition, Map<String, Object> fields) {

    public TrainerState {
        fields = fields == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public TrainerState(long step, Rng.State rng, long dataPosition) {
        this(step, rng, dataPosition, Map.of());
    }
}
