package org.align4j.policy.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.util.JsonErrors;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Streams the rows of a JSON Lines file (one JSON object per line; blank lines skipped), as maps or bound to a
 * class (snake_case keys to camelCase fields or record components; keys the class lacks are ignored, since
 * datasets carry extra columns). Every error names the file and the line: {@code data.jsonl:17: ...}.
 */
public final class JsonlReader<T> implements Iterator<T>, Closeable {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final JavaType MAP = JSON.getTypeFactory().constructType(new TypeReference<Map<String, Object>>() {
    });

    private final Path file;
    private final BufferedReader reader;
    private final JavaType type;
    private final List<String> required;
    private long line;
    private long rowLine;
    private T next;

    private JsonlReader(Path file, JavaType type, List<String> required) {
        this.file = file;
        this.type = type;
        this.required = required;
        try {
            this.reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Rows as maps (JSON numbers become Integer, Long or Double); each must hold the required keys. */
    public static JsonlReader<Map<String, Object>> open(Path file, String... requiredKeys) {
        return new JsonlReader<>(file, MAP, List.of(requiredKeys));
    }

    /** Rows bound to type; each must hold the required keys (non-null). */
    public static <T> JsonlReader<T> open(Path file, Class<T> type, String... requiredKeys) {
        return new JsonlReader<>(file, JSON.getTypeFactory().constructType(type), List.of(requiredKeys));
    }

    /** Every row of file, bound to type. */
    public static <T> List<T> readAll(Path file, Class<T> type, String... requiredKeys) {
        try (JsonlReader<T> r = open(file, type, requiredKeys)) {
            List<T> rows = new ArrayList<>();
            r.forEachRemaining(rows::add);
            return rows;
        }
    }

    /** The 1-based line of the row last returned by {@link #next()}. */
    public long lineNumber() {
        return rowLine;
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = readRow();
        }
        return next != null;
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException(file + ": no more rows");
        }
        T row = next;
        next = null;
        return row;
    }

    /** The remaining rows as a stream that closes the file when closed. */
    public Stream<T> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::close);
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
        }
    }

    private T readRow() {
        String text;
        do {
            try {
                text = reader.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            if (text == null) {
                return null;
            }
            line++;
            if (line == 1 && text.startsWith("\uFEFF")) {
                text = text.substring(1); // byte order mark some editors write
            }
        } while (text.isBlank());
        rowLine = line;
        String where = file + ":" + line + ": ";
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new BadInputException(where + "bad JSON: " + JsonErrors.oneLine(e.getOriginalMessage()));
        }
        if (!node.isObject()) {
            throw new BadInputException(where + "expected a JSON object, got " + node.getNodeType().name().toLowerCase());
        }
        for (String key : required) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                throw new BadInputException(where + "missing required key '" + key + "'");
            }
        }
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonMappingException e) {
            throw new BadInputException(where + JsonErrors.describe(e, node));
        } catch (JsonProcessingException e) {
            throw new BadInputException(where + JsonErrors.oneLine(e.getOriginalMessage()));
        }
    }
}
