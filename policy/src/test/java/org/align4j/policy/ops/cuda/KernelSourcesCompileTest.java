package org.align4j.policy.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA sources compile, without a GPU, where CUDA's nvcc is installed: each .cu file exactly as NVRTC gets it
 * (KernelModule.compiledSource: common.cuh first), for both element types and Hopper, and every kernel the Java side
 * looks up by name is defined. Catches a broken kernel file on a machine that cannot run it; what the kernels
 * compute is checked against the CPU backend by the Cuda*Test classes on a GPU.
 */
class KernelSourcesCompileTest {

    @TempDir Path dir;

    @ParameterizedTest
    @CsvSource({"kernels.cu,float", "kernels.cu,double", "sampling.cu,float", "sampling.cu,double", "moe.cu,float",
            "moe.cu,double", "flash_mma.cu,float", "decode_gqa.cu,float", "decode_gqa.cu,double"})
    void compilesAndDefinesItsKernels(String resource, String type) throws IOException, InterruptedException {
        String nvcc = nvcc();
        assumeTrue(nvcc != null, "nvcc not installed");
        Path src = dir.resolve(resource);
        Files.writeString(src, KernelModule.compiledSource(resource), StandardCharsets.UTF_8);
        Path ptx = dir.resolve(resource + "." + type + ".ptx");
        Process p = new ProcessBuilder(nvcc, "-std=c++17", "--ptx", "-arch=sm_90", "-DA4J_REAL=" + type, "-x", "cu",
                src.toString(), "-o", ptx.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nvcc timed out");
        assertEquals(0, p.exitValue(), resource + " (" + type + ") does not compile:\n" + log);
        String code = Files.readString(ptx);
        for (String kernel : kernels(resource)) {
            assertTrue(code.contains(".entry " + kernel + "("), resource + " lacks kernel " + kernel);
        }
    }

    private static List<String> kernels(String resource) {
        return switch (resource) {
            case "kernels.cu" -> Arrays.stream(KernelModule.K.values()).map(Enum::name).toList();
            case "moe.cu" -> Arrays.stream(MoeKernels.K.values()).map(Enum::name).toList();
            case "sampling.cu" -> List.of("sample_truncated");
            case "decode_gqa.cu" -> List.of("decode_attention_gqa");
            case "flash_mma.cu" -> Arrays.stream(TensorCoreFlash.K.values()).map(Enum::name).toList();
            default -> throw new IllegalArgumentException(resource);
        };
    }

    /** nvcc on the PATH or in CUDA's usual place; null when neither. */
    private static String nvcc() {
        List<Path> candidates = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty()) {
                candidates.add(Path.of(d, "nvcc"));
            }
        }
        candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c.toString();
            }
        }
        return null;
    }
}
