package org.align4j.reward.code;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.align4j.policy.util.BadInputException;

/**
 * Where the sandboxes of a batch of code-reward jobs run (the reward's {@code reward_executor}): {@code local}, a
 * pool of sandboxes on this machine (the default), or an executor registered for {@link ServiceLoader} by name
 * (the distributed module's {@code spark}: one Spark task per chunk of completions on the cluster's executors).
 * The reward module knows no executor but its own; the others are found on the classpath.
 */
public interface CodeTestExecutor extends AutoCloseable {

    String LOCAL = "local";

    /** The name a config gives it ({@code local}, {@code spark}). */
    String name();

    /**
     * Runs every job with the runner of {@code spec} and returns their reports in the jobs' order. {@code local}
     * is the runner made on this machine for {@code spec} (executors running here use it, others make their own).
     */
    List<CodeTestReport> run(CodeTestSpec spec, CodeTestRunner local, List<CodeTestJob> jobs);

    @Override
    default void close() {
    }

    /**
     * Makes the executor called {@code name} for a reward ({@code workers}: the local pool's size). An unknown
     * name, or one whose module is not in this build, is a one-line error naming the key and the known names.
     */
    static CodeTestExecutor create(String name, String owner, int workers) {
        if (name == null || LOCAL.equals(name)) {
            return local(owner, workers);
        }
        List<String> known = new ArrayList<>(List.of(LOCAL));
        for (Factory f : ServiceLoader.load(Factory.class)) {
            if (f.name().equals(name)) {
                return f.create(owner);
            }
            known.add(f.name());
        }
        String hint = "spark".equals(name)
                ? " (spark needs the distributed module: run with --ranks or --master on the jar that "
                + "mvn -Pdistributed -DskipTests package builds)" : "";
        throw new BadInputException(owner + ": unknown reward_executor '" + name + "', known: "
                + String.join(", ", known) + hint);
    }

    /** A pool of {@code workers} sandboxes on this machine (threads named after {@code owner}). */
    static CodeTestExecutor local(String owner, int workers) {
        return new LocalCodeTestExecutor(owner, workers);
    }

    /** Makes a named executor; registered in META-INF/services by the module that has it. */
    interface Factory {
        String name();

        CodeTestExecutor create(String owner);
    }
}
