package org.align4j.policy.ops;

/**
 * Which {@link Ops} implementation new models run on. The CPU backend is the default; a GPU backend is
 * chosen once at start-up (the CLI's --device), before any model is built.
 */
public final class Backends {
    private static volatile Ops current = Ops.cpu();

    private Backends() {
    }

    public static Ops current() {
        return current;
    }

    public static void use(Ops ops) {
        current = ops;
    }
}
