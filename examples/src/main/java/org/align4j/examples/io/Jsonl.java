package org.align4j.examples.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.io.AtomicFiles;

/** Writes rows as JSON Lines (one compact object per line), atomically: readers never see a half-written file. */
public final class Jsonl {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Jsonl() {
    }

    /** One line per row, Jackson's default mapping (records by component, in order). */
    public static void write(Path file, List<?> rows) {
        AtomicFiles.write(file, out -> {
            for (Object row : rows) {
                out.write(JSON.writeValueAsBytes(row));
                out.write('\n');
            }
        });
    }

    /** The JSON line of one row, without the newline. */
    public static String line(Object row) {
        try {
            return JSON.writeValueAsString(row);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write row as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
