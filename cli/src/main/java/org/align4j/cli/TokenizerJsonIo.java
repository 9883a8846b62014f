package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The JSON files of the tokenizer subcommands: read with errors naming file and element, written atomically. */
final class TokenizerJsonIo {

    static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerJsonIo() {
    }

    /** A JSON array from {@code file}, or a one-line error naming it. */
    static JsonNode readArray(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String why = e.getOriginalMessage().replaceAll("\\s*\\(start marker at .*", "");
            throw new IllegalArgumentException(file + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + why);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(file + ": expected a JSON array");
        }
        return root;
    }

    /** Prints {@code json} on standard output, or writes it to {@code out} atomically when given. */
    static void write(Object json, Path out) {
        try {
            if (out == null) {
                System.out.println(JSON.writeValueAsString(json));
                return;
            }
            Path dir = out.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            // Not Files.createTempFile: its owner-only permissions would stay on the moved file.
            Path tmp = dir.resolve("." + out.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
            try {
                JSON.writeValue(tmp.toFile(), json);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException((out == null ? "stdout" : out.toString()) + ": cannot write: " + e.getMessage(), e);
        }
    }
}
