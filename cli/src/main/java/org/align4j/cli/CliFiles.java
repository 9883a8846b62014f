package org.align4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the text files subcommands take, with errors that name the file. */
final class CliFiles {

    private CliFiles() {
    }

    /** The UTF-8 text of {@code path}; {@code -} reads standard input. */
    static String readText(String path, String what) {
        try {
            if (path.equals("-")) {
                return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return Files.readString(Path.of(path), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " file '" + path + "' not found");
        } catch (IOException e) {
            throw new UncheckedIOException(what + " file '" + path + "' cannot be read: " + e.getMessage(), e);
        }
    }
}
