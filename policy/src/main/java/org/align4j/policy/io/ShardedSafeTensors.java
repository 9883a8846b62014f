package org.align4j.policy.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.util.BadInputException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A model directory's weights as transformers lays them out: one {@code model.safetensors}, or shards
 * {@code model-00001-of-00003.safetensors ...} listed by {@code model.safetensors.index.json}
 * ({@code {"metadata": {"total_size": N}, "weight_map": {tensor: shard}}}).
 */
public final class ShardedSafeTensors {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** transformers' default max_shard_size ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShardedSafeTensors() {
    }

    /**
     * Reads a model directory (single file preferred, as transformers does, else the index), or a path that
     * names a .safetensors file or an index file directly.
     */
    public static LinkedHashMap<String, INDArray> read(Path path, DataType type) {
        Path file = weightsFile(path);
        return file.getFileName().toString().endsWith(".json") ? readIndexed(file, type) : SafeTensors.read(file, type);
    }

    /**
     * The file that holds path's weights, as {@link #read} chooses it: a .safetensors file, or an index file (its name
     * ends in .json).
     */
    public static Path weightsFile(Path path) {
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (!Files.isDirectory(path)) {
            throw new BadInputException(path + ": no such file or directory");
        }
        if (Files.isRegularFile(path.resolve(SINGLE_FILE))) {
            return path.resolve(SINGLE_FILE);
        }
        if (Files.isRegularFile(path.resolve(INDEX_FILE))) {
            return path.resolve(INDEX_FILE);
        }
        throw new BadInputException(path + ": holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }

    /** Where one tensor is stored: its file and that file's header entry for it. */
    public record Located(Path file, SafeTensors.TensorInfo info) {
    }

    /**
     * Where each tensor of path (as {@link #read} takes it) is stored, in the order read returns them, from the headers
     * alone: what a loader that streams tensors one by one ({@link SafeTensors.Reader}) needs. The same tensors and the
     * same errors as read.
     */
    public static LinkedHashMap<String, Located> locate(Path path) {
        Path file = weightsFile(path);
        LinkedHashMap<String, Located> out = new LinkedHashMap<>();
        if (!file.getFileName().toString().endsWith(".json")) {
            SafeTensors.readHeader(file).tensors().forEach(t -> out.put(t.name(), new Located(file, t)));
            return out;
        }
        Map<String, String> weightMap = weightMap(file);
        Map<String, Map<String, SafeTensors.TensorInfo>> shards = new LinkedHashMap<>();
        for (String shard : weightMap.values()) {
            if (!shards.containsKey(shard)) {
                Path shardFile = file.resolveSibling(shard);
                if (!Files.isRegularFile(shardFile)) {
                    throw new BadInputException(file + ": shard '" + shard + "' does not exist");
                }
                Map<String, SafeTensors.TensorInfo> infos = new LinkedHashMap<>();
                SafeTensors.readHeader(shardFile).tensors().forEach(t -> infos.put(t.name(), t));
                shards.put(shard, infos);
            }
        }
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            SafeTensors.TensorInfo t = shards.get(e.getValue()).get(e.getKey());
            if (t == null) {
                throw new BadInputException(file + ": tensor '" + e.getKey() + "' is not in its shard '" + e.getValue() + "'");
            }
            out.put(e.getKey(), new Located(file.resolveSibling(e.getValue()), t));
        }
        return out;
    }

    /** Reads the shards an index names, returning tensors in weight_map order. */
    public static LinkedHashMap<String, INDArray> readIndexed(Path indexFile, DataType type) {
        Map<String, String> weightMap = weightMap(indexFile);
        Map<String, Map<String, INDArray>> shards = new LinkedHashMap<>();
        for (String shard : weightMap.values()) {
            if (!shards.containsKey(shard)) {
                Path shardFile = indexFile.resolveSibling(shard);
                if (!Files.isRegularFile(shardFile)) {
                    throw new BadInputException(indexFile + ": shard '" + shard + "' does not exist");
                }
                shards.put(shard, SafeTensors.read(shardFile, type));
            }
        }
        LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            INDArray t = shards.get(e.getValue()).get(e.getKey());
            if (t == null) {
                throw new BadInputException(indexFile + ": tensor '" + e.getKey() + "' is not in its shard '" + e.getValue() + "'");
            }
            out.put(e.getKey(), t);
        }
        return out;
    }

    /** The index's weight_map (tensor name to shard file name), in file order. */
    public static Map<String, String> weightMap(Path indexFile) {
        JsonNode root;
        try {
            root = JSON.readTree(indexFile.toFile());
        } catch (JsonProcessingException e) {
            throw new BadInputException(indexFile + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + indexFile + ": " + e.getMessage(), e);
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new BadInputException(indexFile + ": missing 'weight_map' object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new BadInputException(indexFile + ": weight_map['" + e.getKey() + "'] is not a file name");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /**
     * Writes tensors into dir: one {@code model.safetensors} when they fit in maxShardBytes, else shards that
     * each stay under it (a tensor larger than the limit gets a shard of its own) and the index, written last.
     * Weight files of the other layout left in dir by an earlier save are removed so a reader cannot mix them.
     */
    public static void write(Path dir, Map<String, INDArray> tensors, SafeTensors.Dtype storeAs, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        }
        List<Map<String, INDArray>> shards = new ArrayList<>();
        Map<String, INDArray> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            long bytes = SafeTensors.dataBytes(e.getValue(), storeAs);
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
            total += bytes;
        }
        shards.add(current);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        if (shards.size() == 1) {
            removeStale(dir, true);
            SafeTensors.write(dir.resolve(SINGLE_FILE), tensors, storeAs, SafeTensors.PT_METADATA);
            return;
        }
        removeStale(dir, false);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafeTensors.write(dir.resolve(name), shards.get(i), storeAs, SafeTensors.PT_METADATA);
            shards.get(i).keySet().forEach(k -> weightMap.put(k, name));
        }
        try {
            AtomicFiles.writeString(dir.resolve(INDEX_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void removeStale(Path dir, boolean single) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean stale = single
                        ? name.equals(INDEX_FILE) || SHARD_NAME.matcher(name).matches()
                        : name.equals(SINGLE_FILE) || SHARD_NAME.matcher(name).matches();
                if (stale) {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + dir + ": " + e.getMessage(), e);
        }
    }
}
