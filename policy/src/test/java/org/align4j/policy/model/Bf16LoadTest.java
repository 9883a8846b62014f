package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.io.ShardedSafeTensors;
import org.align4j.policy.ops.Bf16;
import org.align4j.policy.ops.Bf16Source;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loading a BF16 checkpoint without widening it on the host first: the tensors' bytes stream, a chunk at a time, into
 * the model's own arrays through {@link Ops#loadBf16}, with the same parameters, bit for bit, as widening every tensor
 * into a float32 map and building the model from that (the path float32 checkpoints keep).
 */
class Bf16LoadTest {

    /**
     * A copy of fixture name stored as BF16 (config.json's dtype bfloat16), in one file, or in shards of at most
     * maxShardBytes when that is positive.
     */
    static Path bf16Copy(String name, Path dir, long maxShardBytes) throws IOException {
        Path src = HfConformanceTest.fixture(name);
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        cfg.put("dtype", "bfloat16");
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        Map<String, INDArray> tensors = SafeTensors.read(src.resolve(ShardedSafeTensors.SINGLE_FILE));
        if (maxShardBytes > 0) {
            ShardedSafeTensors.write(dir, tensors, SafeTensors.Dtype.BF16, maxShardBytes);
        } else {
            SafeTensors.write(dir.resolve(ShardedSafeTensors.SINGLE_FILE), tensors, SafeTensors.Dtype.BF16,
                    SafeTensors.PT_METADATA);
        }
        return dir;
    }

    /** The model today's path builds: every tensor widened into a float32 map first, then copied into the model. */
    static CausalLM widened(Path dir, Ops ops) {
        return CausalLM.fromWeights(ModelConfig.read(dir.resolve("config.json")),
                ShardedSafeTensors.read(dir, DataType.FLOAT), DataType.FLOAT, ops);
    }

    static void assertBitIdentical(CausalLM want, CausalLM got) {
        Map<String, INDArray> w = want.weights();
        Map<String, INDArray> g = got.weights();
        assertEquals(w.keySet(), g.keySet());
        w.forEach((name, a) -> {
            INDArray b = g.get(name);
            assertArrayEquals(a.shape(), b.shape(), name);
            assertArrayEquals(a.dup('c').data().asFloat(), b.dup('c').data().asFloat(), name);
        });
    }

    @ParameterizedTest
    @CsvSource({"model_llama,0", "model_qwen2,0", "model_qwen2,100000", "model_deepseek_v3,0"})
    void streamedBf16LoadIsBitIdenticalToWidening(String name, long maxShardBytes, @TempDir Path tmp)
            throws IOException {
        Path dir = bf16Copy(name, tmp.resolve("bf16"), maxShardBytes);
        if (maxShardBytes > 0) {
            assertTrue(Files.isRegularFile(dir.resolve(ShardedSafeTensors.INDEX_FILE)), "sharded");
        }
        CausalLM streamed = HfCheckpoint.load(dir);
        assertSame(TorchDtype.BFLOAT16, streamed.checkpointDtype());
        assertBitIdentical(widened(dir, Ops.cpu()), streamed);
        TokenBatch batch = TokenBatch.of(new int[] {1, 5, 30, 7});
        assertArrayEquals(widened(dir, Ops.cpu()).forward(batch).logits().data().asFloat(),
                streamed.forward(batch).logits().data().asFloat(), "same logits");
    }

    /** Held in bf16 from the start (frozen or trainable): the same weights as holding them after the widening load. */
    @ParameterizedTest
    @CsvSource({"true", "false"})
    void loadingHeldInBf16MatchesHoldingAfterTheLoad(boolean frozen, @TempDir Path tmp) throws IOException {
        Path dir = bf16Copy("model_qwen2", tmp.resolve("bf16"), 0);
        CausalLM old = widened(dir, Ops.cpu());
        old.storeInBf16(frozen);
        CausalLM held = HfCheckpoint.loadHeldInBf16(dir, Ops.cpu(), frozen);
        assertTrue(held.storedInBf16());
        assertBitIdentical(old, held);
        // a float32 checkpoint takes the old path and is held the same way
        Path f32 = HfConformanceTest.fixture("model_qwen2");
        CausalLM f32Old = HfCheckpoint.load(f32);
        f32Old.storeInBf16(frozen);
        assertBitIdentical(f32Old, HfCheckpoint.loadHeldInBf16(f32, Ops.cpu(), frozen));
    }

    /** What a backend was asked to load: the arrays, and the size of every read of the bf16 sources. */
    private static final class Recorded {
        final Set<INDArray> filled = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<Integer> readBytes = new ArrayList<>();
        long sourceElements;
    }

    /** The CPU backend with loadBf16's arguments recorded (the seam: each source read is counted on its way). */
    private static Ops recording(Recorded r) {
        Ops cpu = Ops.cpu();
        return (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[] {Ops.class}, (p, m, args) -> {
            if (m.getName().equals("loadBf16")) {
                INDArray w = (INDArray) args[0];
                Bf16Source s = (Bf16Source) args[1];
                r.filled.add(w);
                r.sourceElements += s.elements();
                args = new Object[] {w, new Bf16Source() {
                    @Override
                    public long elements() {
                        return s.elements();
                    }

                    @Override
                    public void read(long offset, ByteBuffer dst) {
                        r.readBytes.add(dst.remaining());
                        s.read(offset, dst);
                    }
                }};
            }
            try {
                return m.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    /**
     * The loader reads every stored byte through the backend's loadBf16 in chunks, and the model's parameters are the
     * very arrays the backend filled: no float32 map of the model is built beside them.
     */
    @Test
    void theLoaderStreamsBytesIntoTheModelsOwnArrays(@TempDir Path tmp) throws IOException {
        Path dir = bf16Copy("model_qwen2", tmp.resolve("bf16"), 0);
        Path file = dir.resolve(ShardedSafeTensors.SINGLE_FILE);
        SafeTensors.Header h = SafeTensors.readHeader(file);
        long dataBytes = Files.size(file) - h.dataStart();
        Recorded r = new Recorded();
        CausalLM m = HfCheckpoint.load(dir, DataType.FLOAT, recording(r));

        assertEquals(h.tensors().size(), r.filled.size(), "one loadBf16 per stored tensor");
        assertEquals(dataBytes, 2 * r.sourceElements);
        assertEquals(dataBytes, r.readBytes.stream().mapToLong(Integer::longValue).sum(), "every byte read once");
        assertTrue(r.readBytes.stream().allMatch(b -> b > 0 && b <= 2 * Bf16Source.CHUNK_ELEMENTS), "chunks");
        m.weights().forEach((name, w) -> assertTrue(r.filled.contains(w), name + " is the array the backend filled"));
        assertBitIdentical(widened(dir, Ops.cpu()), m);

        // a float32 checkpoint and a float64 model keep the widening path
        Recorded none = new Recorded();
        HfCheckpoint.load(HfConformanceTest.fixture("model_qwen2"), DataType.FLOAT, recording(none));
        HfCheckpoint.load(dir, DataType.DOUBLE, recording(none));
        assertEquals(0, none.filled.size());
    }

    /** DeepSeek-V3's MTP modules (dropped by the model) are not read from a BF16 checkpoint at all. */
    @Test
    void multiTokenPredictionTensorsAreNotRead(@TempDir Path tmp) throws IOException {
        Path src = HfConformanceTest.fixture("model_deepseek_v3");
        Path dir = tmp.resolve("bf16");
        bf16Copy("model_deepseek_v3", dir, 0);
        Map<String, INDArray> w = new java.util.LinkedHashMap<>(SafeTensors.read(src.resolve(ShardedSafeTensors.SINGLE_FILE)));
        w.put("model.layers.3.eh_proj.weight", Nd4j.rand(DataType.FLOAT, 64, 128)); // layer num_hidden_layers: MTP
        SafeTensors.write(dir.resolve(ShardedSafeTensors.SINGLE_FILE), w, SafeTensors.Dtype.BF16, SafeTensors.PT_METADATA);
        Recorded r = new Recorded();
        CausalLM m = HfCheckpoint.load(dir, DataType.FLOAT, recording(r));
        assertEquals(w.size() - 1, r.filled.size(), "every tensor but the MTP one");
        assertEquals(w.size(), SafeTensors.readHeader(dir.resolve(ShardedSafeTensors.SINGLE_FILE)).tensors().size(),
                "the file holds the MTP tensor");
        assertBitIdentical(widened(dir, Ops.cpu()), m);
    }

    /** Every bf16 bit pattern, over a tensor of several chunks: widened exactly, read a chunk at a time. */
    @Test
    void cpuLoadWidensEveryBitPatternChunkByChunk() {
        int n = 2 * Bf16Source.CHUNK_ELEMENTS + Bf16Source.CHUNK_ELEMENTS / 2 + 3;
        List<Integer> reads = new ArrayList<>();
        Bf16Source source = new Bf16Source() {
            @Override
            public long elements() {
                return n;
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                reads.add(dst.remaining());
                ByteBuffer le = dst.order(ByteOrder.LITTLE_ENDIAN);
                for (long i = offset; le.hasRemaining(); i++) {
                    le.putShort((short) (i * 40503)); // every 16-bit pattern, scrambled (40503 is odd)
                }
            }
        };
        INDArray w = Nd4j.create(DataType.FLOAT, n);
        Ops.cpu().loadBf16(w, source);
        assertEquals(List.of(2 * Bf16Source.CHUNK_ELEMENTS, 2 * Bf16Source.CHUNK_ELEMENTS,
                2 * (Bf16Source.CHUNK_ELEMENTS / 2 + 3)), reads);
        float[] got = w.data().asFloat();
        for (int i = 0; i < n; i++) {
            float want = Bf16.toFloat((short) (i * 40503L));
            if (Float.floatToIntBits(want) != Float.floatToIntBits(got[i])) {
                throw new AssertionError("element " + i + ": " + want + " widened to " + got[i]);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Ops.cpu().loadBf16(Nd4j.create(DataType.FLOAT, 3), source));
        assertThrows(IllegalArgumentException.class,
                () -> Ops.cpu().loadBf16(Nd4j.create(DataType.DOUBLE, n), source));
    }
}
