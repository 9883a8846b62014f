package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * flash_mma.cu's tensor-core attention (forward, dq, dk/dv, GQA group sums) run on the CPU where g++ is installed:
 * src/test/cuda/flash_mma_emulated.cpp emulates the block's threads, warp shuffles and mma.sync from the PTX ISA's
 * fragment layouts, and compares every output with float64 attention of the bf16-rounded inputs (ragged lengths,
 * partial tiles, head_dim 64 and 128, groups of 1-3 heads). A misplaced fragment element or a wrong mask gives
 * errors of order 1; bf16 rounding of the probabilities gives ~5e-3. The same kernels run on a GPU in
 * CudaTensorCoreFlashTest.
 */
class FlashMmaEmulatedTest {
    @TempDir Path dir;

    @Test
    void tensorCoreAttentionMatchesFloat64() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")), "g++ not installed");
        Path harness = dir.resolve("flash_mma_emulated.cpp");
        try (InputStream in = Files.newInputStream(Path.of("src/test/cuda/flash_mma_emulated.cpp"))) {
            Files.write(harness, in.readAllBytes());
        }
        Files.writeString(dir.resolve("kernel.cu"), KernelModule.compiledSource("flash_mma.cu"), StandardCharsets.UTF_8);
        Path exe = dir.resolve("emulated");
        String compileLog = run(dir, 300, "/usr/bin/g++", "-std=c++20", "-O1", "-pthread", harness.toString(), "-o",
                exe.toString());
        assertTrue(Files.isExecutable(exe), "the emulation does not compile:\n" + compileLog);
        String log = run(dir, 600, exe.toString(), "2e-2");
        assertTrue(log.contains("worst "), log);
        assertEquals(0, lastExit, "tensor-core attention differs from float64:\n" + log);
    }

    private int lastExit;

    private String run(Path cwd, int seconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        lastExit = p.exitValue();
        return log;
    }
}
