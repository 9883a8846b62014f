package org.align4j.rollout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.tokenizer.Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples groups of completions on its own worker thread(s) while the caller (a GRPO trainer) does other
 * work. Requests wait in a bounded queue: {@link #submit} blocks while it is full (back-pressure), and
 * {@link #trySubmit} returns empty instead.
 *
 * <p>Each worker samples with its own copy of the policy (or, {@link #sharing}, one worker with the policy itself,
 * for on-policy training without a second set of weights). The trainer publishes new weights with
 * {@link #publish}: every copy is overwritten between two batches, never during one, and the version
 * number recorded on the groups that copy samples changes with it. A request names the policy version
 * that will train on it; the service samples it with weights at most {@code maxStaleness} versions older,
 * waiting for a publish otherwise. With maxStaleness 0 (the default) GRPO is exactly on-policy; with 1 the
 * service samples the next batch with version v while the trainer computes v + 1 from the current one.
 */
public final class RolloutService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutService.class);

    /**
     * @param workers           worker threads, each with its own copy of the model (one suits 2 cores: the
     *                          matrix products use both)
     * @param queueCapacity     requests that may wait; more blocks {@link #submit}
     * @param maxBatchSequences most sequences decoded together; a larger request is split by whole groups
     * @param maxStaleness      0 (exactly on-policy) or 1 (sample one version behind while the trainer updates)
     */
    public record Options(int workers, int queueCapacity, int maxBatchSequences, int maxStaleness) {
        public static final Options DEFAULTS = new Options(1, 4, 256, 0);

        public Options {
            if (workers < 1 || queueCapacity < 1 || maxBatchSequences < 1) {
                throw new IllegalArgumentException("workers, queueCapacity and maxBatchSequences must be >= 1, got "
                        + workers + ", " + queueCapacity + ", " + maxBatchSequences);
            }
            if (maxStaleness < 0 || maxStaleness > 1) {
                throw new IllegalArgumentException("maxStaleness must be 0 or 1, got " + maxStaleness);
            }
        }

        public Options withWorkers(int n) {
            return new Options(n, queueCapacity, maxBatchSequences, maxStaleness);
        }

        public Options withQueueCapacity(int n) {
            return new Options(workers, n, maxBatchSequences, maxStaleness);
        }

        public Options withMaxBatchSequences(int n) {
            return new Options(workers, queueCapacity, n, maxStaleness);
        }

        public Options withMaxStaleness(int n) {
            return new Options(workers, queueCapacity, maxBatchSequences, n);
        }
    }

    private record Task(RolloutRequest request, CompletableFuture<List<CompletionGroup>> future) {
    }

    /** A worker's model copy; its lock is held while it samples, so a publish never lands mid-batch. */
    private static final class Replica {
        final Sampler sampler;
        final ReentrantLock lock = new ReentrantLock();
        long version;

        Replica(Sampler sampler, long version) {
            this.sampler = sampler;
            this.version = version;
        }
    }

    private final Options options;
    private final BlockingQueue<Task> queue;
    private final List<Replica> replicas = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Object versionMonitor = new Object();
    private final Object publishLock = new Object();
    private long published;
    private volatile boolean closed;
    /** The worker samples with the caller's policy itself ({@link #sharing}): a publish copies nothing. */
    private final boolean shared;

    private RolloutService(CausalLM policy, Tokenizer tokenizer, long version, Options options, boolean shared) {
        this.options = options;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.published = version;
        this.shared = shared;
        for (int i = 0; i < options.workers(); i++) {
            CausalLM model = shared ? policy : policy.copy();
            Replica r = new Replica(new Sampler(model, tokenizer, options.maxBatchSequences()), version);
            replicas.add(r);
            Thread t = new Thread(() -> work(r), "align4j-rollout-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Starts the workers with copies of policy's current weights as version {@code version}.
     *
     * @param tokenizer gives the completions' text and stop strings; null for ids only
     */
    public static RolloutService start(CausalLM policy, Tokenizer tokenizer, long version, Options options) {
        return new RolloutService(policy, tokenizer, version, options, false);
    }

    /**
     * Starts one worker that samples with policy itself, not a copy: no second set of weights (on a GPU, no second
     * bf16 copy of a 7B base model), for exactly on-policy training (one worker, maxStaleness 0). The caller must
     * leave policy alone (no forward pass, no weight change) while a request it submitted is in flight, i.e. submit
     * and wait before it trains; {@link #publish} then only advances the version.
     */
    public static RolloutService sharing(CausalLM policy, Tokenizer tokenizer, long version, Options options) {
        if (options.workers() != 1 || options.maxStaleness() != 0) {
            throw new IllegalArgumentException("a rollout service sharing the policy needs one worker and maxStaleness "
                    + "0, got " + options.workers() + " and " + options.maxStaleness());
        }
        return new RolloutService(policy, tokenizer, version, options, true);
    }

    /**
     * Queues a request, blocking while the queue is full. Bad input (an empty or too long prompt, stop
     * strings without a tokenizer) is rejected here with an IllegalArgumentException.
     *
     * @return the groups, one per prompt in order, once sampled; cancelled if the service closes first
     */
    public CompletableFuture<List<CompletionGroup>> submit(RolloutRequest request) throws InterruptedException {
        Task task = task(request);
        queue.put(task);
        return afterQueued(task);
    }

    /** Like {@link #submit}, but returns empty at once when the queue is full. */
    public Optional<CompletableFuture<List<CompletionGroup>>> trySubmit(RolloutRequest request) {
        Task task = task(request);
        if (!queue.offer(task)) {
            return Optional.empty();
        }
        return Optional.of(afterQueued(task));
    }

    private Task task(RolloutRequest request) {
        if (closed) {
            throw new IllegalStateException("the rollout service is closed");
        }
        replicas.get(0).sampler.validate(request.prompts(), request.numGenerations(), request.params());
        return new Task(request, new CompletableFuture<>());
    }

    private CompletableFuture<List<CompletionGroup>> afterQueued(Task task) {
        // A request that slipped in while close() ran would never be taken: cancel it here.
        if (closed && queue.remove(task)) {
            task.future().cancel(false);
        }
        return task.future();
    }

    /** Requests waiting in the queue (not counting those being sampled). */
    public int queued() {
        return queue.size();
    }

    /** The latest published policy version. */
    public long version() {
        synchronized (versionMonitor) {
            return published;
        }
    }

    /**
     * Copies weights (a model of the same architecture, e.g. the trainer's) into every worker's model as
     * policy version {@code version}, which must be larger than the last. Waits for batches in progress to
     * end; the caller must not change weights until this returns. Sharing the policy, nothing is copied.
     */
    public void publish(CausalLM weights, long version) {
        synchronized (publishLock) {
            synchronized (versionMonitor) {
                if (version <= published) {
                    throw new IllegalArgumentException("published versions must increase: " + version
                            + " after " + published);
                }
            }
            requireSameShapes(replicas.get(0).sampler.model(), weights);
            if (shared && weights != replicas.get(0).sampler.model()) {
                throw new IllegalArgumentException("a rollout service sharing the policy publishes that policy only");
            }
            for (Replica r : replicas) {
                r.lock.lock();
                try {
                    if (!shared) {
                        r.sampler.model().copyWeightsFrom(weights);
                    }
                    r.version = version;
                } finally {
                    r.lock.unlock();
                }
            }
            synchronized (versionMonitor) {
                published = version;
                versionMonitor.notifyAll();
            }
        }
    }

    /** Checked before copying anything, so that a wrong model never leaves a worker half overwritten. */
    private static void requireSameShapes(CausalLM target, CausalLM source) {
        for (var p : target.parameters()) {
            INDArray src;
            try {
                src = source.parameter(p.name()).value();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot publish weights without '" + p.name() + "'", e);
            }
            if (!Arrays.equals(src.shape(), p.value().shape())) {
                throw new IllegalArgumentException("cannot publish weights of another shape: '" + p.name() + "' is "
                        + Arrays.toString(src.shape()) + ", the policy has " + Arrays.toString(p.value().shape()));
            }
        }
    }

    private void work(Replica replica) {
        while (true) {
            Task task;
            try {
                task = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (task.future().isDone()) {
                continue; // cancelled by the caller
            }
            RolloutRequest req = task.request();
            try {
                awaitVersion(req.forPolicyVersion() == RolloutRequest.ANY_VERSION ? Long.MIN_VALUE
                        : req.forPolicyVersion() - options.maxStaleness());
            } catch (InterruptedException e) {
                task.future().cancel(false);
                return;
            }
            replica.lock.lock();
            try {
                task.future().complete(req.tools() != null
                        ? req.tools().sample(org.align4j.rollout.tool.ToolRollout.TurnSampler.of(replica.sampler),
                                req.prompts(), req.numGenerations(), req.params(), replica.version)
                        : sampleOneTurn(replica.sampler, req, replica.version));
            } catch (RuntimeException | Error e) {
                LOG.warn("rollout request failed: {}", e.toString());
                task.future().completeExceptionally(e);
            } finally {
                replica.lock.unlock();
            }
        }
    }

    private void awaitVersion(long minVersion) throws InterruptedException {
        synchronized (versionMonitor) {
            while (published < minVersion) {
                versionMonitor.wait();
            }
        }
    }

    /**
     * Stops the workers: batches in progress finish, queued requests and those waiting for a version are
     * cancelled. Further submits throw.
     */
    @Override
    public void close() {
        closed = true;
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Task t;
        while ((t = queue.poll()) != null) {
            t.future().cancel(false);
        }
    }

    private static List<CompletionGroup> sampleOneTurn(Sampler sampler, RolloutRequest req, long version) {
        List<CompletionGroup> out = new ArrayList<>(req.prompts().size());
        sampler.sample(req.prompts(), req.firstPromptIndex(), req.numGenerations(), req.params(), version,
                SamplingProgress.NONE, out::add);
        return out;
    }
}
