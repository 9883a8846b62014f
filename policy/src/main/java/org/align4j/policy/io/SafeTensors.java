package org.align4j.policy.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.ops.Bf16;
import org.align4j.policy.ops.Bf16Source;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to its dtype, shape and [begin, end) byte offsets into the data section, an optional
 * {@code __metadata__} string map, then the raw little-endian tensor data. Tensors are streamed through a
 * small buffer, so reading a file never holds more than its tensors plus one chunk.
 */
public final class SafeTensors {

    /** The stored element types this reader understands. */
    public enum Dtype {
        F32(4), F64(8), F16(2), BF16(2);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    /** One header entry: where a tensor's bytes lie relative to the start of the data section. */
    public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** The parsed header of one file; dataStart is the file offset of the data section. */
    public record Header(Path file, Map<String, String> metadata, List<TensorInfo> tensors, long dataStart) {
    }

    /** The metadata transformers writes, which its loader checks for. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    // The reference implementation refuses headers above 100 MB; a larger one is a corrupt length field.
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final int CHUNK_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    /** Reads every tensor as float32. */
    public static LinkedHashMap<String, INDArray> read(Path file) {
        return read(file, DataType.FLOAT);
    }

    /** Reads every tensor, converted to type (FLOAT or DOUBLE), in header order. */
    public static LinkedHashMap<String, INDArray> read(Path file, DataType type) {
        checkTarget(type);
        try (FileChannel channel = open(file)) {
            Header header = readHeader(file, channel);
            LinkedHashMap<String, INDArray> out = new LinkedHashMap<>();
            for (TensorInfo info : header.tensors()) {
                out.put(info.name(), readTensor(file, channel, header.dataStart(), info, type));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses and validates the header only (names, dtypes, shapes, offsets), reading no tensor data. */
    public static Header readHeader(Path file) {
        try (FileChannel channel = open(file)) {
            return readHeader(file, channel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * An open safetensors file whose tensors are read piece by piece, in their stored bytes: a bf16 checkpoint's
     * tensors go to {@link org.align4j.policy.ops.Ops#loadBf16} without a float32 copy of the tensor (or of the model)
     * on the host. The reads are positional reads into the caller's chunk buffer rather than a memory map: Java 17
     * cannot unmap, and mapped pages would count towards the process's resident memory until the GC dropped them.
     */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final Header header;

        private Reader(Path file) throws IOException {
            this.file = file;
            this.channel = SafeTensors.open(file);
            try {
                this.header = readHeader(file, channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        /** Opens file and parses its header (a bad header is refused as {@link #readHeader(Path)} does). */
        public static Reader open(Path file) {
            try {
                return new Reader(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        public Header header() {
            return header;
        }

        /** The stored bf16 values of tensor info (one of this file's, stored as BF16), read while this is open. */
        public Bf16Source bf16(TensorInfo info) {
            if (info.dtype() != Dtype.BF16) {
                throw new IllegalArgumentException(file + ": tensor '" + info.name() + "' is " + info.dtype() + ", not BF16");
            }
            long start = header.dataStart() + info.begin();
            long n = info.elements();
            return new Bf16Source() {
                @Override
                public long elements() {
                    return n;
                }

                @Override
                public void read(long offset, ByteBuffer dst) {
                    if (offset < 0 || dst.remaining() % 2 != 0 || offset + dst.remaining() / 2 > n) {
                        throw new IllegalArgumentException("bytes [" + 2 * offset + ", +" + dst.remaining()
                                + ") outside tensor '" + info.name() + "' of " + n + " bf16 values");
                    }
                    try {
                        readFully(channel, dst, start + 2 * offset);
                    } catch (EOFException e) {
                        throw new BadInputException(file + ": truncated inside tensor '" + info.name() + "'");
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
                    }
                }
            };
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Writes tensors as F32 with transformers' {@code {"format":"pt"}} metadata. */
    public static void write(Path file, Map<String, INDArray> tensors) {
        write(file, tensors, Dtype.F32, PT_METADATA);
    }

    /**
     * Writes tensors (in map order) atomically, stored as F32, F64 or BF16 (rounded to nearest, ties to even, as
     * PyTorch's cast).
     */
    public static void write(Path file, Map<String, INDArray> tensors, Dtype storeAs, Map<String, String> metadata) {
        if (storeAs != Dtype.F32 && storeAs != Dtype.F64 && storeAs != Dtype.BF16) {
            throw new IllegalArgumentException("safetensors are written as F32, F64 or BF16, not " + storeAs);
        }
        byte[] header = headerBytes(tensors, storeAs, metadata);
        AtomicFiles.write(file, out -> {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length);
            flush(buf, out);
            out.write(header);
            for (INDArray t : tensors.values()) {
                writeData(t, storeAs, buf, out);
            }
        });
    }

    /** The number of data bytes tensors take when stored as storeAs (for sharding decisions). */
    public static long dataBytes(INDArray tensor, Dtype storeAs) {
        return tensor.length() * storeAs.bytes();
    }

    // ---------------------------------------------------------------------------------------------- reading

    private static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        }
    }

    private static Header readHeader(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new BadInputException(file + ": not a safetensors file (" + size + " bytes, shorter than the 8-byte header length)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 0 || headerLen > size - 8) {
            throw new BadInputException(file + ": header length " + Long.toUnsignedString(headerLen)
                    + " goes beyond the end of the file (" + size + " bytes)");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new BadInputException(file + ": header length " + headerLen + " is above the 100 MB limit");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(channel, hb, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(file + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                if (!e.getValue().isObject()) {
                    throw new BadInputException(file + ": __metadata__ is not a JSON object");
                }
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
            } else {
                tensors.add(parseEntry(file, e.getKey(), e.getValue(), size - dataStart));
            }
        }
        return new Header(file, Collections.unmodifiableMap(metadata), Collections.unmodifiableList(tensors), dataStart);
    }

    private static TensorInfo parseEntry(Path file, String name, JsonNode node, long dataBytesInFile) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new BadInputException(where + ": header entry is not a JSON object");
        }
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new BadInputException(where + ": missing 'dtype'");
        }
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dt.asText());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(where + ": unknown or unsupported dtype '" + dt.asText()
                    + "' (supported: " + Arrays.toString(Dtype.values()) + ")");
        }
        JsonNode sh = node.get("shape");
        if (sh == null || !sh.isArray()) {
            throw new BadInputException(where + ": missing 'shape'");
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) {
                throw new BadInputException(where + ": bad shape " + sh);
            }
            shape[i] = sh.get(i).asLong();
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new BadInputException(where + ": missing or bad 'data_offsets' " + off);
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long need = info.elements() * dtype.bytes();
        if (begin < 0 || end < begin || end - begin != need) {
            throw new BadInputException(where + ": data_offsets [" + begin + ", " + end + "] do not match shape "
                    + Arrays.toString(shape) + " of " + dtype + " (" + need + " bytes)");
        }
        if (end > dataBytesInFile) {
            throw new BadInputException(file + ": truncated: tensor '" + name + "' ends at data byte " + end
                    + " but the file holds only " + dataBytesInFile + " data bytes");
        }
        return info;
    }

    private static INDArray readTensor(Path file, FileChannel channel, long dataStart, TensorInfo info, DataType type)
            throws IOException {
        long n = info.elements();
        if (n > Integer.MAX_VALUE - 16) {
            throw new BadInputException(file + ": tensor '" + info.name() + "' has " + n + " elements, more than one array holds");
        }
        boolean dbl = type == DataType.DOUBLE;
        float[] f = dbl ? null : new float[(int) n];
        double[] d = dbl ? new double[(int) n] : null;
        int esz = info.dtype().bytes();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long pos = dataStart + info.begin();
        int index = 0;
        while (index < n) {
            int count = (int) Math.min(n - index, CHUNK_BYTES / esz);
            buf.clear().limit(count * esz);
            try {
                readFully(channel, buf, pos);
            } catch (EOFException e) {
                throw new BadInputException(file + ": truncated inside tensor '" + info.name() + "'");
            }
            pos += (long) count * esz;
            buf.flip();
            // same stored and requested type: bulk copy (the common case: F32 checkpoints read as FLOAT)
            if (!dbl && info.dtype() == Dtype.F32) {
                buf.asFloatBuffer().get(f, index, count);
                index += count;
                continue;
            }
            if (dbl && info.dtype() == Dtype.F64) {
                buf.asDoubleBuffer().get(d, index, count);
                index += count;
                continue;
            }
            for (int i = 0; i < count; i++, index++) {
                double v = decode(buf, info.dtype());
                if (dbl) {
                    d[index] = v;
                } else {
                    f[index] = (float) v;
                }
            }
        }
        if (info.shape().length == 0) {
            return dbl ? Nd4j.scalar(d[0]) : Nd4j.scalar(f[0]);
        }
        if (n == 0) {
            return Nd4j.create(type, info.shape());
        }
        return dbl ? Nd4j.create(d, info.shape(), 'c') : Nd4j.create(f, info.shape(), 'c');
    }

    private static double decode(ByteBuffer buf, Dtype dtype) {
        switch (dtype) {
            case F32:
                return buf.getFloat();
            case F64:
                return buf.getDouble();
            case F16:
                return halfToFloat(buf.getShort() & 0xffff);
            case BF16:
                // bfloat16 is the top half of a float32
                return Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
            default:
                throw new AssertionError(dtype);
        }
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero)
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = channel.read(buf, pos);
            if (r < 0) {
                throw new EOFException();
            }
            pos += r;
        }
    }

    // ---------------------------------------------------------------------------------------------- writing

    private static byte[] headerBytes(Map<String, INDArray> tensors, Dtype storeAs, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("a tensor cannot be named __metadata__");
            }
            INDArray t = e.getValue();
            ObjectNode entry = root.putObject(e.getKey());
            entry.put("dtype", storeAs.name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long bytes = dataBytes(t, storeAs);
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(INDArray tensor, Dtype storeAs, ByteBuffer buf, OutputStream out) throws IOException {
        INDArray t = tensor;
        if (t.dataType() != DataType.FLOAT && t.dataType() != DataType.DOUBLE) {
            t = t.castTo(DataType.FLOAT);
        }
        // Views and f-ordered arrays do not hold their elements in C order in their buffer: copy those.
        if (t.isView() || t.ordering() != 'c' || t.data().length() != t.length()) {
            t = t.dup('c');
        }
        long n = t.length();
        if (n == 0) {
            return;
        }
        if (t.dataType() == DataType.DOUBLE) {
            double[] d = t.data().asDouble();
            for (double v : d) {
                if (buf.remaining() < 8) {
                    flush(buf, out);
                }
                if (storeAs == Dtype.F64) {
                    buf.putDouble(v);
                } else if (storeAs == Dtype.BF16) {
                    buf.putShort(Bf16.fromFloat((float) v));
                } else {
                    buf.putFloat((float) v);
                }
            }
        } else {
            float[] f = t.data().asFloat();
            for (float v : f) {
                if (buf.remaining() < 8) {
                    flush(buf, out);
                }
                if (storeAs == Dtype.F64) {
                    buf.putDouble(v);
                } else if (storeAs == Dtype.BF16) {
                    buf.putShort(Bf16.fromFloat(v));
                } else {
                    buf.putFloat(v);
                }
            }
        }
        flush(buf, out);
    }

    private static void flush(ByteBuffer buf, OutputStream out) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    private static void checkTarget(DataType type) {
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("tensors are read as FLOAT or DOUBLE, not " + type);
        }
    }
}
