package org.align4j.distributed;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A collective operation found that another rank has left the run (its connection closed): the consequence of that
 * rank's failure, not a failure of this rank's own. {@link RankTask} lets the failed rank's error be the run's.
 */
final class RankLeftException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    RankLeftException(int rank, IOException cause) {
        super("rank " + rank + ": a rank left the run (" + cause.getMessage() + ")", cause);
    }
}
