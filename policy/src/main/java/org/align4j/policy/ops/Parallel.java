package org.align4j.policy.ops;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits a kernel's rows over the cores. The common pool has cores - 1 workers (one on a 2-core machine),
 * so the kernels get a pool of their own; the calling thread takes the last chunk itself. Small jobs run
 * inline, where a fork would cost more than it saves.
 */
final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("align4j.kernel.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1) : null;
    /** Below this many element operations a job runs on the calling thread. */
    private static final long MIN_WORK = 1 << 16;

    interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {
    }

    static void rows(int n, long workPerRow, RangeBody body) {
        if (POOL == null || n < 2 || n * workPerRow < MIN_WORK) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(n, THREADS);
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        for (int c = 0; c < chunks - 1; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            tasks[c] = POOL.submit(() -> body.run(from, to));
        }
        body.run((int) ((long) n * (chunks - 1) / chunks), n);
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
    }
}
