package org.align4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the files and directories subcommands take, with errors that name them. */
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

    /** {@code dir} itself, refused first when it is missing or not a directory (before naming a file inside). */
    static Path modelDir(Path dir, String option) {
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException(option + ": model directory '" + dir + "' does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + ": '" + dir + "' is a file, not a model directory");
        }
        return dir;
    }
}
