package org.align4j.policy.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ShardedSafeTensorsTest {

    @TempDir
    Path tmp;

    private static LinkedHashMap<String, INDArray> tensors() {
        LinkedHashMap<String, INDArray> m = new LinkedHashMap<>();
        m.put("a", Nd4j.linspace(DataType.FLOAT, 1, 20, 1).reshape(4, 5)); // 80 bytes
        m.put("b", Nd4j.linspace(DataType.FLOAT, 1, 10, 1));               // 40 bytes
        m.put("c", Nd4j.linspace(DataType.FLOAT, 1, 30, 1));               // 120 bytes, above the limit
        m.put("d", Nd4j.linspace(DataType.FLOAT, 1, 2, 1));                // 8 bytes
        return m;
    }

    @Test
    void shardsOverTheLimitAndReadsThemBackThroughTheIndex() throws Exception {
        Path dir = tmp.resolve("model");
        ShardedSafeTensors.write(dir, tensors(), SafeTensors.Dtype.F32, 100);
        // a (80) | b (40) would pass 100 | c alone | d
        assertTrue(Files.exists(dir.resolve("model-00001-of-00004.safetensors")));
        assertTrue(Files.exists(dir.resolve("model-00004-of-00004.safetensors")));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        JsonNode index = new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertEquals(248, index.get("metadata").get("total_size").asLong());
        assertEquals("model-00003-of-00004.safetensors", index.get("weight_map").get("c").asText());
        Map<String, INDArray> back = ShardedSafeTensors.read(dir, DataType.FLOAT);
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(back.keySet()));
        assertEquals(tensors().get("c"), back.get("c"));
        assertEquals(tensors().get("a"), back.get("a"));

        // Saving again unsharded removes the shards and the index.
        ShardedSafeTensors.write(dir, tensors(), SafeTensors.Dtype.F32, ShardedSafeTensors.DEFAULT_MAX_SHARD_BYTES);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("model.safetensors"), files.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(tensors().get("d"), ShardedSafeTensors.read(dir, DataType.FLOAT).get("d"));
    }

    @Test
    void namesTheIndexWhenATensorIsMissingFromItsShard() throws Exception {
        Path dir = tmp.resolve("model");
        ShardedSafeTensors.write(dir, tensors(), SafeTensors.Dtype.F32, 100);
        Path index = dir.resolve(ShardedSafeTensors.INDEX_FILE);
        Files.writeString(index, Files.readString(index).replace("\"d\" : \"model-00004", "\"d\" : \"model-00001"));
        BadInputException e = assertThrows(BadInputException.class, () -> ShardedSafeTensors.read(dir, DataType.FLOAT));
        assertEquals(index + ": tensor 'd' is not in its shard 'model-00001-of-00004.safetensors'", e.getMessage());
        assertThrows(BadInputException.class, () -> ShardedSafeTensors.read(tmp.resolve("nothing"), DataType.FLOAT));
    }
}
