package org.align4j.reward.code;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default {@link CodeTestExecutor}: a pool of {@code reward_workers} sandboxes on this machine, each run with
 * its own time limit, so a batch takes as long as its slowest run, not the sum.
 */
final class LocalCodeTestExecutor implements CodeTestExecutor {

    private final ExecutorService pool;

    LocalCodeTestExecutor(String owner, int workers) {
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, owner + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String name() {
        return LOCAL;
    }

    @Override
    public List<CodeTestReport> run(CodeTestSpec spec, CodeTestRunner local, List<CodeTestJob> jobs) {
        List<Future<CodeTestReport>> futures = new ArrayList<>(jobs.size());
        for (CodeTestJob job : jobs) {
            futures.add(pool.submit(() -> local.run(job.completion(), job.tests())));
        }
        List<CodeTestReport> out = new ArrayList<>(jobs.size());
        for (Future<CodeTestReport> f : futures) {
            out.add(await(f));
        }
        return out;
    }

    /** f's result; a task's runtime exception is rethrown as it is (UnitTestReward waits on its batches the same way). */
    static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for unit tests", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
