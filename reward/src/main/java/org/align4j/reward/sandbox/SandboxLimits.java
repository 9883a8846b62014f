package org.align4j.reward.sandbox;

import java.io.Serializable;
import java.time.Duration;

/**
 * Resource limits for one sandboxed run.
 *
 * @param timeout         wall-clock limit; the whole process tree is killed when it passes
 * @param cpuSeconds      RLIMIT_CPU per process
 * @param memoryBytes     RLIMIT_AS (address space) per process
 * @param maxProcesses    RLIMIT_NPROC: processes and threads of the sandbox user
 * @param maxOutputBytes  stdout+stderr captured; more kills the run
 * @param maxFileBytes    RLIMIT_FSIZE: the largest file the run may write
 * @param scratchBytes    size of the writable scratch directory (enforced under bwrap, a tmpfs)
 * @param maxOpenFiles    RLIMIT_NOFILE
 */
public record SandboxLimits(Duration timeout, int cpuSeconds, long memoryBytes, int maxProcesses,
                            long maxOutputBytes, long maxFileBytes, long scratchBytes, int maxOpenFiles)
        implements Serializable {
    private static final long serialVersionUID = 1L;


    private static final long MIB = 1024L * 1024L;

    public SandboxLimits {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (cpuSeconds < 1 || memoryBytes < MIB || maxProcesses < 1 || maxOutputBytes < 1 || maxFileBytes < 1
                || scratchBytes < MIB || maxOpenFiles < 16) {
            throw new IllegalArgumentException("sandbox limits out of range: " + this);
        }
    }

    /** 10 s, 512 MiB address space, 32 processes, 1 MiB of output, 16 MiB files, 64 MiB scratch. */
    public static SandboxLimits defaults() {
        return new SandboxLimits(Duration.ofSeconds(10), 11, 512 * MIB, 32, MIB, 16 * MIB, 64 * MIB, 256);
    }

    /** The same limits with another wall-clock timeout; the CPU limit follows it (one second more). */
    public SandboxLimits withTimeout(Duration t) {
        int cpu = (int) Math.max(1, (t.toMillis() + 999) / 1000 + 1);
        return new SandboxLimits(t, cpu, memoryBytes, maxProcesses, maxOutputBytes, maxFileBytes, scratchBytes, maxOpenFiles);
    }

    public SandboxLimits withMemoryBytes(long bytes) {
        return new SandboxLimits(timeout, cpuSeconds, bytes, maxProcesses, maxOutputBytes, maxFileBytes, scratchBytes, maxOpenFiles);
    }

    public SandboxLimits withMaxProcesses(int n) {
        return new SandboxLimits(timeout, cpuSeconds, memoryBytes, n, maxOutputBytes, maxFileBytes, scratchBytes, maxOpenFiles);
    }

    public SandboxLimits withMaxOutputBytes(long bytes) {
        return new SandboxLimits(timeout, cpuSeconds, memoryBytes, maxProcesses, bytes, maxFileBytes, scratchBytes, maxOpenFiles);
    }
}
