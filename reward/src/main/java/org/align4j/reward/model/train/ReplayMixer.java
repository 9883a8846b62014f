package org.align4j.reward.model.train;

import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.Rng;

/**
 * Which examples make up each optimizer batch when new data trains together with a replay of historical
 * data: a share {@code fraction} of every batch comes from the replay (drawn uniformly, with replacement),
 * the rest from the new data in shuffled epochs. The replay count of batch t is
 * {@code floor((t+1) B f) - floor(t B f)}, so any run of batches holds the fraction up to one example, even
 * when {@code B f} is not whole (B = 16, f = 0.1: batches of 1 or 2 replayed rows, 10% over time).
 * Batch t is a pure function of t, so a resumed run sees exactly the batches it would have.
 */
public final class ReplayMixer {

    /** One slot of a batch: an index into the new data or into the replay. */
    public record Pick(boolean replay, int index) {
    }

    private final int replaySize;
    private final int batchSize;
    private final double fraction;
    private final long seed;
    private final DataOrder order;
    private final int freshSize;

    /**
     * @param freshSize  new examples (at least 1)
     * @param replaySize historical examples; 0 turns replay off (batches are all new data)
     */
    public ReplayMixer(int freshSize, int replaySize, int batchSize, double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("replay fraction must be in [0, 1), got " + fraction);
        }
        this.freshSize = freshSize;
        this.replaySize = replaySize;
        this.batchSize = batchSize;
        this.fraction = replaySize == 0 ? 0 : fraction;
        this.seed = seed;
        this.order = new DataOrder(freshSize, seed);
    }

    /** Replayed examples in batches 0 .. t-1. */
    public long replayedBefore(long t) {
        return (long) Math.floor(t * (double) batchSize * fraction + 1e-9);
    }

    /** New-data examples consumed by batches 0 .. t-1. */
    public long freshBefore(long t) {
        return t * batchSize - replayedBefore(t);
    }

    /** Batches per pass over the new data. */
    public long batchesPerEpoch() {
        return Math.max(1, (long) Math.ceil(freshSize / (batchSize * (1 - fraction))));
    }

    public double epochOf(long t) {
        return order.epochOf(freshBefore(t));
    }

    /** The picks of batch t, new data first. */
    public List<Pick> batch(long t) {
        int replayed = (int) (replayedBefore(t + 1) - replayedBefore(t));
        long start = freshBefore(t);
        List<Pick> out = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize - replayed; i++) {
            out.add(new Pick(false, order.at(start + i)));
        }
        Rng rng = new Rng(seed * 1_000_003L + t + 1);
        for (int i = 0; i < replayed; i++) {
            out.add(new Pick(true, rng.nextInt(replaySize)));
        }
        return out;
    }
}
