package org.align4j.policy.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {

    @TempDir
    Path tmp;

    static Path resource(String name) throws Exception {
        return Path.of(SafeTensorsTest.class.getResource(name).toURI());
    }

    private static LinkedHashMap<String, INDArray> sample() {
        LinkedHashMap<String, INDArray> m = new LinkedHashMap<>();
        m.put("w", Nd4j.create(new float[]{1.5f, -2f, 3.25f, 0f, 1e-3f, 7f}, new long[]{2, 3}, 'c'));
        m.put("b", Nd4j.create(new double[]{0.1, 0.2, 0.3}, new long[]{3}, 'c'));
        m.put("s", Nd4j.scalar(4.5f));
        return m;
    }

    @Test
    void writesTheLayoutTheFormatSpecifies() throws Exception {
        Path f = tmp.resolve("x.safetensors");
        SafeTensors.write(f, sample());
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        assertEquals(0, n % 8, "header padded to 8 bytes");
        JsonNode h = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("pt", h.get("__metadata__").get("format").asText());
        assertEquals("F32", h.get("w").get("dtype").asText());
        assertEquals("[2,3]", h.get("w").get("shape").toString());
        assertEquals("[0,24]", h.get("w").get("data_offsets").toString());
        assertEquals("[24,36]", h.get("b").get("data_offsets").toString());
        assertEquals("[]", h.get("s").get("shape").toString());
        assertEquals(8 + n + 40, bytes.length);
        long data = 8 + n;
        assertEquals(3.25f, bb.getFloat((int) data + 8));
        assertEquals(0.2f, bb.getFloat((int) data + 24 + 4));
        assertEquals(4.5f, bb.getFloat((int) data + 36));
    }

    @Test
    void roundTripsAsFloatAndDouble() {
        Path f = tmp.resolve("x.safetensors");
        SafeTensors.write(f, sample());
        Map<String, INDArray> back = SafeTensors.read(f, DataType.FLOAT);
        assertEquals(List.of("w", "b", "s"), List.copyOf(back.keySet()));
        assertEquals(DataType.FLOAT, back.get("b").dataType());
        assertArrayEquals(new long[]{2, 3}, back.get("w").shape());
        assertEquals(1e-3f, back.get("w").getFloat(1, 1));
        assertEquals(0, back.get("s").rank());
        assertEquals(4.5, back.get("s").getDouble(0));

        Path f64 = tmp.resolve("y.safetensors");
        SafeTensors.write(f64, sample(), SafeTensors.Dtype.F64, Map.of("note", "x"));
        Map<String, INDArray> d = SafeTensors.read(f64, DataType.DOUBLE);
        assertEquals(DataType.DOUBLE, d.get("b").dataType());
        assertEquals(0.2, d.get("b").getDouble(1)); // exact: stored as F64
        assertEquals(Map.of("note", "x"), SafeTensors.readHeader(f64).metadata());
    }

    @Test
    void writesViewsInLogicalOrder() {
        INDArray base = Nd4j.create(new float[]{1, 2, 3, 4, 5, 6}, new long[]{2, 3}, 'c');
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("t", base.transpose());
        m.put("col", base.getColumn(1));
        Path f = tmp.resolve("v.safetensors");
        SafeTensors.write(f, m);
        Map<String, INDArray> back = SafeTensors.read(f);
        assertEquals(base.transpose(), back.get("t"));
        assertEquals(5f, back.get("col").getFloat(1));
    }

    @Test
    void decodesHalfAndBfloat16() throws Exception {
        // F16: 1.0, -2.0, smallest subnormal 2^-24, +inf; BF16: 0.5, -3.0 (top halves of the float32 bits)
        short[] half = {0x3C00, (short) 0xC000, 0x0001, 0x7C00};
        short[] bf = {0x3F00, (short) 0xC040};
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[8,12]}}";
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : half) data.putShort(s);
        for (short s : bf) data.putShort(s);
        Path f = craft(header, data.array());
        Map<String, INDArray> m = SafeTensors.read(f, DataType.DOUBLE);
        assertEquals(1.0, m.get("h").getDouble(0));
        assertEquals(-2.0, m.get("h").getDouble(1));
        assertEquals(Math.pow(2, -24), m.get("h").getDouble(2));
        assertEquals(Double.POSITIVE_INFINITY, m.get("h").getDouble(3));
        assertEquals(0.5, m.get("b").getDouble(0, 0));
        assertEquals(-3.0, m.get("b").getDouble(0, 1));
    }

    @Test
    void refusesATruncatedFileNamingTheTensor() throws Exception {
        Path f = tmp.resolve("cut.safetensors");
        SafeTensors.write(f, sample());
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10); // cuts into "b" and drops "s"
        }
        BadInputException e = assertThrows(BadInputException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
    }

    @Test
    void refusesAHeaderLengthBeyondTheFile() throws Exception {
        Path f = tmp.resolve("long.safetensors");
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}      ".getBytes());
        Files.write(f, bb.array());
        BadInputException e = assertThrows(BadInputException.class, () -> SafeTensors.read(f));
        assertEquals(f + ": header length 1000 goes beyond the end of the file (16 bytes)", e.getMessage());
        Path tiny = tmp.resolve("tiny.safetensors");
        Files.write(tiny, new byte[3]);
        assertThrows(BadInputException.class, () -> SafeTensors.read(tiny));
    }

    @Test
    void refusesAnUnknownDtypeNamingIt() throws Exception {
        Path f = craft("{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        BadInputException e = assertThrows(BadInputException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("'F8_E4M3'"), e.getMessage());
    }

    @Test
    void refusesOffsetsThatDoNotMatchTheShape() throws Exception {
        Path f = craft("{\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[16]);
        BadInputException e = assertThrows(BadInputException.class, () -> SafeTensors.read(f));
        assertEquals(f + ": tensor 'x': data_offsets [0, 12] do not match shape [2, 2] of F32 (16 bytes)", e.getMessage());
        Path bad = craft("{\"x\": [1, 2", new byte[0]);
        assertTrue(assertThrows(BadInputException.class, () -> SafeTensors.read(bad)).getMessage().contains("not valid JSON"));
    }

    @Test
    void readsTheHuggingFaceLlamaCheckpoint() throws Exception {
        Path f = resource("/hf/model_llama/model.safetensors");
        Map<String, INDArray> m = SafeTensors.read(f);
        assertEquals(21, m.size());
        assertEquals("pt", SafeTensors.readHeader(f).metadata().get("format"));
        assertArrayEquals(new long[]{512, 64}, m.get("lm_head.weight").shape());
        assertArrayEquals(new long[]{32, 64}, m.get("model.layers.0.self_attn.k_proj.weight").shape());
        assertArrayEquals(new long[]{64, 128}, m.get("model.layers.1.mlp.down_proj.weight").shape());
        // Values decoded independently with numpy from the same bytes.
        assertEquals(1.2243707180023193f, m.get("model.norm.weight").getFloat(0));
        assertEquals(0.0416792556643486f, m.get("lm_head.weight").getFloat(3, 5));
        assertEquals(-0.007157411891967058f, m.get("model.embed_tokens.weight").getFloat(511, 63));
        assertEquals(0.7541988408902398, m.get("model.layers.1.mlp.down_proj.weight").castTo(DataType.DOUBLE).sumNumber().doubleValue(), 1e-9);
        long params = m.values().stream().mapToLong(INDArray::length).sum();
        JsonNode expected = new ObjectMapper().readTree(resource("/hf/model_llama/expected.json").toFile());
        assertEquals(expected.get("param_count").asLong(), params);
    }

    @Test
    void readsTheHuggingFaceQwen2CheckpointAsDouble() throws Exception {
        Map<String, INDArray> m = SafeTensors.read(resource("/hf/model_qwen2/model.safetensors"), DataType.DOUBLE);
        assertEquals(DataType.DOUBLE, m.get("model.norm.weight").dataType());
        assertEquals((double) 0.9604011178016663f, m.get("model.norm.weight").getDouble(0));
        assertEquals((double) 0.011878104880452156f, m.get("model.layers.0.self_attn.q_proj.bias").getDouble(7));
        assertArrayEquals(new long[]{32}, m.get("model.layers.1.self_attn.v_proj.bias").shape());
    }

    @Test
    void rewritesTheHuggingFaceFileByteForByteInTensorData() throws Exception {
        Path src = resource("/hf/model_llama/model.safetensors");
        Path copy = tmp.resolve("copy.safetensors");
        SafeTensors.write(copy, SafeTensors.read(src));
        SafeTensors.Header a = SafeTensors.readHeader(src);
        SafeTensors.Header b = SafeTensors.readHeader(copy);
        byte[] x = Files.readAllBytes(src);
        byte[] y = Files.readAllBytes(copy);
        assertEquals(x.length - a.dataStart(), y.length - b.dataStart());
        for (int i = 0; i < x.length - a.dataStart(); i++) {
            assertEquals(x[(int) a.dataStart() + i], y[(int) b.dataStart() + i], "data byte " + i);
        }
    }

    private Path craft(String header, byte[] data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(data);
        Path f = Files.createTempFile(tmp, "crafted", ".safetensors");
        Files.write(f, out.toByteArray());
        return f;
    }
}
