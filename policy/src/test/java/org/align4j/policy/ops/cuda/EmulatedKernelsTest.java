package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernels run on the CPU where g++ is installed: src/test/cuda/emulation.h emulates a block's threads, barriers, warp
 * shuffles and mma.sync (from the PTX ISA's fragment layouts), and each *_emulated.cpp harness runs one kernel file
 * exactly as NVRTC gets it (common.cuh first) against a float64 reference, so a tiling, masking or fragment error is
 * caught without a GPU. The same kernels run on a GPU in CudaTensorCoreFlashTest and CudaOpsTest.
 * src/test/cuda holds the harnesses (flash_mma_emulated.cpp, decode_gqa_emulated.cpp, flash_scalar_emulated.cpp)
 * and the float64 attention both fused-attention harnesses check against (attention_reference.h).
 */
class EmulatedKernelsTest {
    @TempDir Path dir;

    /**
     * flash_mma.cu's tensor-core attention (forward, dq, dk/dv, GQA group sums) against float64 attention of the
     * bf16-rounded inputs (ragged lengths, partial tiles, head_dim 64 and 128, groups of 1-3 heads). A misplaced
     * fragment element or a wrong mask gives errors of order 1; bf16 rounding of the probabilities ~5e-3.
     */
    @Test
    void tensorCoreAttentionMatchesFloat64() throws IOException, InterruptedException {
        runHarness("flash_mma.cu", "flash_mma_emulated.cpp", "float", "2e-2");
    }

    /**
     * decode_gqa.cu's grouped decoding attention, whole and split across blocks, in float32 and float64 (groups of
     * 1-8, an empty row left untouched): float32 within 1e-5 of float64 attention, float64 within 1e-12.
     */
    @Test
    void groupedDecodeAttentionMatchesFloat64() throws IOException, InterruptedException {
        runHarness("decode_gqa.cu", "decode_gqa_emulated.cpp", "float", "1e-5");
        runHarness("decode_gqa.cu", "decode_gqa_emulated.cpp", "double", "1e-12");
    }

    /**
     * kernels.cu's fused attention (the exact path and the tensor-core one's reference), with value head dims other
     * than the query/key one (DeepSeek's 192/128): float64 within 1e-12 of float64 attention, float32 within 1e-5.
     */
    @Test
    void exactFusedAttentionMatchesFloat64() throws IOException, InterruptedException {
        runHarness("kernels.cu", "flash_scalar_emulated.cpp", "double", "1e-12");
        runHarness("kernels.cu", "flash_scalar_emulated.cpp", "float", "1e-5");
    }

    /**
     * The kernel file as NVRTC gets it, with each {@code extern __shared__ T name[];} (dynamic shared memory, which
     * has no C++ spelling) rewritten into a pointer to the emulation's block-wide buffer.
     */
    static String emulatedSource(String kernel) {
        return KernelModule.compiledSource(kernel).replaceAll(
                "extern __shared__ (?:__align__\\(\\d+\\) )?([\\w ]*?\\w) (\\w+)\\[\\];",
                "$1* $2 = ($1*)a4j_emulated_dynamic_shared();");
    }

    /** Compiles harness with the kernel file and runs it with the bound, which every case must meet. */
    private void runHarness(String kernel, String harness, String type, String bound)
            throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")), "g++ not installed");
        // the harness and its headers compile where they are; kernel.cu, written here, is found through -I
        Path source = Path.of("src/test/cuda").resolve(harness).toAbsolutePath();
        Files.writeString(dir.resolve("kernel.cu"), emulatedSource(kernel), StandardCharsets.UTF_8);
        Path exe = dir.resolve(harness + "." + type);
        String compileLog = run(300, "/usr/bin/g++", "-std=c++20", "-O1", "-pthread", "-DA4J_REAL=" + type,
                "-I", dir.toString(), source.toString(), "-o", exe.toString());
        assertTrue(Files.isExecutable(exe), harness + " does not compile:\n" + compileLog);
        String log = run(600, exe.toString(), bound);
        System.out.print(kernel + " (" + type + "), emulated:\n" + log);
        assertTrue(log.contains("worst "), log);
        assertEquals(0, lastExit, kernel + " (" + type + ") differs from float64 beyond " + bound + ":\n" + log);
    }

    private int lastExit;

    private String run(int seconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
        lastExit = p.exitValue();
        return log;
    }
}
