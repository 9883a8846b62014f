package org.align4j.distributed;

import java.io.Serializable;

/**
 * Test only: what one rank does at optimizer step {@code step} (0-based) of a run, to check that a failing rank or
 * a stop request leaves nothing half-written ({@link FailingRank} carries it out).
 */
record InjectedFault(int rank, long step, Kind kind) implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Kind {
        /** The rank throws in the step's gradient sum. */
        FAILS_IN_GRADIENT_SUM,
        /** The rank throws when the checkpoint saved after the step waits for every rank's optimizer shard. */
        FAILS_IN_CHECKPOINT,
        /** The rank files a stop request (as Ctrl-C does) in the step's gradient sum, then goes on. */
        REQUESTS_STOP
    }

    /** No fault. */
    static final InjectedFault NONE = new InjectedFault(-1, -1, Kind.FAILS_IN_GRADIENT_SUM);
}
