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

    /** Set on a thread that runs one part of {@link #parts}: its kernels run inline, not split again. */
    private static final ThreadLocal<Boolean> IN_PART = ThreadLocal.withInitial(() -> false);

    static int threads() {
        return THREADS;
    }

    static void rows(int n, long workPerRow, RangeBody body) {
        if (POOL == null || n < 2 || n * workPerRow < MIN_WORK || IN_PART.get()) {
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

    /**
     * Runs body(0..parts-1) at once, one part per thread (the calling thread takes the last), each with its kernels
     * inline. Coarse parallelism for work made of many small kernels (a decode step), where splitting each kernel
     * costs more in hand-offs than it gains.
     */
    static void parts(int parts, java.util.function.IntConsumer body) {
        if (POOL == null || parts < 2 || IN_PART.get()) {
            for (int i = 0; i < parts; i++) {
                body.accept(i);
            }
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts - 1];
        for (int i = 0; i < parts - 1; i++) {
            int part = i;
            tasks[i] = POOL.submit(() -> inPart(part, body));
        }
        Throwable failed = null;
        try {
            inPart(parts - 1, body);
        } catch (RuntimeException | Error e) {
            failed = e;
        }
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failed == null) {
                    failed = e;
                }
            }
        }
        if (failed instanceof RuntimeException r) {
            throw r;
        }
        if (failed instanceof Error e) {
            throw e;
        }
    }

    private static void inPart(int part, java.util.function.IntConsumer body) {
        IN_PART.set(true);
        try {
            body.accept(part);
        } finally {
            IN_PART.set(false);
        }
    }
}
