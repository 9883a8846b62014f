package org.align4j.examples.demo;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Announces each phase of a pipeline on one line and records its wall time and the process's CPU time:
 * on a shared machine wall time says little, CPU time says how much work a phase was.
 */
public final class Phases {
    private final PrintStream log;
    private final int total;
    private final Map<String, Double> wall = new LinkedHashMap<>();
    private final Map<String, Double> cpu = new LinkedHashMap<>();
    private final long startNanos = System.nanoTime();
    private final long startCpu = cpuNanos();
    private int index;
    private String current;
    private long phaseNanos;
    private long phaseCpu;

    public Phases(PrintStream log, int total) {
        this.log = log;
        this.total = total;
    }

    /** Ends the running phase, if any, and starts the next one. */
    public void start(String name, String what) {
        end();
        index++;
        current = name;
        phaseNanos = System.nanoTime();
        phaseCpu = cpuNanos();
        log.printf("[%d/%d] %s: %s%n", index, total, name, what);
    }

    /** Ends the running phase with one line saying what it produced. */
    public void done(String result) {
        if (current == null) {
            return;
        }
        String name = current;
        end();
        log.printf(Locale.ROOT, "[%d/%d] %s: %s (%.1f s, cpu %.1f s)%n", index, total, name, result, wall.get(name),
                cpu.get(name));
    }

    private void end() {
        if (current != null) {
            wall.put(current, (System.nanoTime() - phaseNanos) / 1e9);
            cpu.put(current, (cpuNanos() - phaseCpu) / 1e9);
            current = null;
        }
    }

    /** Wall seconds per finished phase, in order, plus "total". */
    public Map<String, Double> wallSeconds() {
        Map<String, Double> m = new LinkedHashMap<>(wall);
        m.put("total", (System.nanoTime() - startNanos) / 1e9);
        return m;
    }

    /** Process CPU seconds (all threads) per finished phase, plus "total". */
    public Map<String, Double> cpuSeconds() {
        Map<String, Double> m = new LinkedHashMap<>(cpu);
        m.put("total", (cpuNanos() - startCpu) / 1e9);
        return m;
    }

    private static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0; // not reported by this JVM: CPU seconds read 0
    }
}
