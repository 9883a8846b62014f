package org.align4j.policy.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures encoding speed on one thread: one untimed pass over the documents (JIT warm-up, and it fills
 * the BPE cache as a long-running process would have it), then timed passes. MB are 10^6 bytes of UTF-8.
 * Besides wall-clock speed it reports speed per CPU-second of the whole process (garbage collection and
 * JIT included), which stays meaningful when other processes share the machine.
 */
public final class TokenizerBenchmark {

    /**
     * @param passSeconds    the wall-clock duration of each timed pass
     * @param mbPerSecond    the wall-clock speed of the fastest timed pass
     * @param mbPerCpuSecond the speed per CPU-second of the process, over the pass that used least CPU
     */
    public record Result(long bytes, int documents, long tokens, List<Double> passSeconds, double mbPerSecond,
                         double mbPerCpuSecond) {
    }

    private TokenizerBenchmark() {
    }

    public static Result run(Tokenizer tokenizer, List<String> documents, int timedPasses) {
        long bytes = 0;
        for (String d : documents) {
            bytes += d.getBytes(StandardCharsets.UTF_8).length;
        }
        long tokens = encodeAll(tokenizer, documents);
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        List<Double> seconds = new ArrayList<>();
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        for (int p = 0; p < timedPasses; p++) {
            long cpuStart = os.getProcessCpuTime();
            long start = System.nanoTime();
            encodeAll(tokenizer, documents);
            double s = (System.nanoTime() - start) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
            seconds.add(s);
            best = Math.min(best, s);
            bestCpu = Math.min(bestCpu, cpu);
        }
        return new Result(bytes, documents.size(), tokens, seconds, bytes / 1e6 / best, bytes / 1e6 / bestCpu);
    }

    private static long encodeAll(Tokenizer tokenizer, List<String> documents) {
        long tokens = 0;
        for (String d : documents) {
            tokens += tokenizer.encode(d, false).length;
        }
        return tokens;
    }
}
