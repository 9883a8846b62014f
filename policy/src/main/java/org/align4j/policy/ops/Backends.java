package org.align4j.policy.ops;

/**
 * Which {@link Ops} implementation new models run on. The CPU backend is the default; a GPU backend is
 * chosen once at start-up (the CLI's --device), before any model is built.
 */
public final class Backends {
    private static volatile Ops current = Ops.cpu();
    /**
     * A thread's own backend, inherited by the threads it starts (its rollout workers): the data-parallel ranks of
     * Spark's local mode are threads of one process, each with its own device.
     */
    private static final InheritableThreadLocal<Ops> RANK = new InheritableThreadLocal<>();

    private Backends() {
    }

    public static Ops current() {
        Ops mine = RANK.get();
        return mine != null ? mine : current;
    }

    /** Makes ops the backend of this thread and of the threads it starts from now on (a data-parallel rank's). */
    public static void useOnThisThread(Ops ops) {
        RANK.set(ops);
    }

    public static void use(Ops ops) {
        current = ops;
    }
}
